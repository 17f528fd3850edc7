// Each attack's gap to exact ρ, where a run's MILP settled it (rho eval --bounds milp): the median
// of ρ̂ / ρ and the share of points within 1 % of ρ, over points where both are known.
import type { ReportRun } from "./runs.js";

export interface GapRow {
  readonly model: string;
  readonly attack: string;
  /** Points with exact ρ and a verified example of this attack. */
  readonly compared: number;
  readonly medianRatio: number;
  readonly within1pct: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? (s[m] as number)
      : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export function gapRows(runs: readonly ReportRun[], attacks: readonly string[]): GapRow[] {
  return runs.flatMap((run) => {
    const bounds = new Set(run.spec.attacks.filter((a) => a.family === "bound").map((a) => a.name));
    // exact ρ per point: a bound row whose method settled it (its verified witness's distance)
    const exact = new Map<number, number>();
    for (const r of run.rows)
      if (bounds.has(r.attack) && r.status === "exact" && r.rho !== null) exact.set(r.index, r.rho);
    if (exact.size === 0) return [];
    return attacks.flatMap((attack) => {
      const ratios = run.rows.flatMap((r) => {
        const rho = exact.get(r.index);
        return r.attack === attack &&
          r.status === "adversarial" &&
          r.rho !== null &&
          rho !== undefined &&
          rho > 0
          ? [r.rho / rho]
          : [];
      });
      if (ratios.length === 0) return [];
      return [
        {
          model: run.name,
          attack,
          compared: ratios.length,
          medianRatio: median(ratios),
          within1pct: ratios.filter((x) => x <= 1.01).length,
        },
      ];
    });
  });
}

export function gapsMarkdown(rows: readonly GapRow[]): string {
  return [
    "| model | attack | points with exact ρ | median ρ̂ / ρ | within 1 % of ρ |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map(
      (g) =>
        `| ${g.model} | ${g.attack} | ${g.compared} | ${g.medianRatio.toFixed(3)} | ${g.within1pct} of ${g.compared} |`,
    ),
  ].join("\n");
}
