// Figure 3: the cumulative number of points with ρ̂ ≤ ε against ε, a line per model, a panel per
// attack — a Vega-Lite spec rendered to SVG by Vega and to PNG by resvg.

import { Resvg } from "@resvg/resvg-js";
import { cumulativeCurve, type PointOutcome } from "@rho/metrics";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { pointBrackets } from "../eval/brackets.js";
import type { ReportRun } from "./runs.js";

export interface CurvePoint {
  readonly model: string;
  readonly attack: string;
  readonly eps: number;
  readonly count: number;
  /**
   * "ρ̂ ≤ ε" for an attack's curve (points proven non-robust: at most the truth); "ρ_lb ≤ ε" for
   * a run with bound methods (points not certified: at least the truth). Between them lies what no
   * method settled.
   */
  readonly kind: "ρ̂ ≤ ε" | "ρ_lb ≤ ε";
}

/**
 * The curves, exact as step functions: evaluated at 0, at every finite ρ̂ up to maxEps and at
 * maxEps, so a step-after line through them is #{ρ̂ ≤ ε} everywhere on [0, maxEps].
 */
export function figure3Data(
  runs: readonly ReportRun[],
  attacks: readonly string[],
  maxEps: number,
): CurvePoint[] {
  const curve = (rows: readonly PointOutcome[]) => {
    const steps = rows.flatMap((r) => (r.rho !== null && r.rho <= maxEps ? [r.rho] : []));
    return cumulativeCurve(
      rows,
      [...new Set([0, ...steps, maxEps])].sort((a, b) => a - b),
    );
  };
  return runs.flatMap((run) => {
    // the certified side, drawn in every attack's panel: points whose best ρ_lb is ≤ ε
    const hasBounds = run.spec.attacks.some((a) => a.family === "bound");
    const certified = hasBounds
      ? curve(pointBrackets(run.spec, run.rows).map((p) => ({ ...p, rho: p.lower })))
      : [];
    return attacks.flatMap((attack) => {
      const rows = run.rows.filter((r) => r.attack === attack);
      if (rows.length === 0) return [];
      return [
        ...curve(rows).map((c) => ({ model: run.name, attack, ...c, kind: "ρ̂ ≤ ε" as const })),
        ...certified.map((c) => ({ model: run.name, attack, ...c, kind: "ρ_lb ≤ ε" as const })),
      ];
    });
  });
}

/** A default x range: the largest finite ρ̂, rounded up to a multiple of 10, at least ε. */
export function defaultMaxEps(runs: readonly ReportRun[], eps: number): number {
  const rhos = runs.flatMap((r) => r.rows.flatMap((row) => (row.rho === null ? [] : [row.rho])));
  return Math.max(eps, Math.ceil(Math.max(0, ...rhos) / 10) * 10);
}

export function figure3Spec(
  data: readonly CurvePoint[],
  attacks: readonly string[],
  eps: number,
): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    data: { values: data as CurvePoint[] },
    facet: { column: { field: "attack", type: "nominal", title: "measured by", sort: [...attacks] } },
    spec: {
      width: 240,
      height: 200,
      layer: [
        {
          mark: { type: "line", interpolate: "step-after", strokeWidth: 2 },
          encoding: {
            x: { field: "eps", type: "quantitative", title: "ε (pixels)" },
            y: { field: "count", type: "quantitative", title: "points" },
            color: { field: "model", type: "nominal", title: "model", sort: null },
            // dashed: points not certified (ρ_lb ≤ ε), above the attack's curve
            strokeDash: { field: "kind", type: "nominal", title: "points with", sort: ["ρ̂ ≤ ε", "ρ_lb ≤ ε"] },
            detail: { field: "kind", type: "nominal" },
          },
        },
        {
          mark: { type: "rule", strokeDash: [4, 4], color: "grey" },
          encoding: { x: { datum: eps } },
        },
      ],
    },
    config: { font: "DejaVu Sans, sans-serif" },
  };
}

/** SVG by Vega's headless renderer (no canvas needed). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG at twice the SVG's size; text uses the system's fonts (DejaVu Sans when installed). */
export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 2 },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}
