import type { PointBracket } from "@rho/metrics";
import type { ResultRow, RunSpec } from "./spec.js";

/**
 * Per point, the bracket: the best certified lower bound over the bound methods' rows and the
 * smallest verified distance over attacks and bound witnesses.
 */
export function pointBrackets(spec: RunSpec, rows: readonly ResultRow[]): PointBracket[] {
  const family = new Map(spec.attacks.map((a) => [a.name, a.family]));
  const byPoint = new Map<number, ResultRow[]>();
  for (const r of rows) byPoint.set(r.index, [...(byPoint.get(r.index) ?? []), r]);
  return [...byPoint.values()].map((rs) => {
    const first = rs[0] as ResultRow;
    const lowers = rs.filter((r) => family.get(r.attack) === "bound" && r.lower !== undefined);
    const uppers = rs.filter((r) => r.verified && r.rho !== null).map((r) => r.rho as number);
    const predicted = rs.find((r) => r.predicted >= 0)?.predicted ?? -1;
    return {
      label: first.label,
      predicted,
      lower: Math.max(0, ...lowers.map((r) => r.lower as number)),
      upper: uppers.length ? Math.min(...uppers) : null,
    };
  });
}
