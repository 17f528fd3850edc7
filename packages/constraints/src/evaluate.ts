import type { Formula } from "./formula.js";
import type { RowStore } from "./rows.js";
import type { ConstraintSystem } from "./system.js";

/** Default absolute tolerance on w·x + b when deciding satisfaction. */
export const DEFAULT_TOLERANCE = 1e-9;

/** Whether x satisfies a formula: rows within `tol`, `and` all parts, `or` some part. */
export function satisfiesFormula(
  rows: RowStore,
  f: Formula,
  x: ArrayLike<number>,
  tol = DEFAULT_TOLERANCE,
): boolean {
  switch (f.kind) {
    case "row":
      return rows.satisfied(f.row, x, tol);
    case "and":
      return f.parts.every((p) => satisfiesFormula(rows, p, x, tol));
    case "or":
      return f.parts.some((p) => satisfiesFormula(rows, p, x, tol));
  }
}

export interface SatisfiesOptions {
  tol?: number;
  /** Also require lower ≤ x ≤ upper for every variable (default true). */
  bounds?: boolean;
}

/** Whether x satisfies the whole system C (bounds, required rows and every disjunction). */
export function satisfies(sys: ConstraintSystem, x: ArrayLike<number>, opts: SatisfiesOptions = {}): boolean {
  const tol = opts.tol ?? DEFAULT_TOLERANCE;
  if (x.length < sys.vars.count) return false;
  if (opts.bounds ?? true) {
    for (let j = 0; j < sys.vars.count; j++) {
      const v = x[j] as number;
      if (!(v >= sys.vars.lower(j) - tol && v <= sys.vars.upper(j) + tol)) return false;
    }
  }
  for (const r of sys.requiredRows()) if (!sys.rows.satisfied(r, x, tol)) return false;
  return sys.disjunctions.every((d) => satisfiesFormula(sys.rows, d, x, tol));
}
