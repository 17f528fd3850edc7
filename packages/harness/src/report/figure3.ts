// Figure 3: the cumulative number of points with ρ̂ ≤ ε against ε, a line per model, a panel per
// attack — a Vega-Lite spec rendered to SVG by Vega and to PNG by resvg.

import { Resvg } from "@resvg/resvg-js";
import { cumulativeCurve } from "@rho/metrics";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { ReportRun } from "./runs.js";

export interface CurvePoint {
  readonly model: string;
  readonly attack: string;
  readonly eps: number;
  readonly count: number;
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
  return runs.flatMap((run) =>
    attacks.flatMap((attack) => {
      const rows = run.rows.filter((r) => r.attack === attack);
      if (rows.length === 0) return [];
      const steps = rows.flatMap((r) => (r.rho !== null && r.rho <= maxEps ? [r.rho] : []));
      const grid = [...new Set([0, ...steps, maxEps])].sort((a, b) => a - b);
      return cumulativeCurve(rows, grid).map((c) => ({ model: run.name, attack, ...c }));
    }),
  );
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
            y: { field: "count", type: "quantitative", title: "points with ρ̂ ≤ ε" },
            color: { field: "model", type: "nominal", title: "model", sort: null },
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
