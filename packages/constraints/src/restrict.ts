import { PointOutsideError } from "./errors.js";
import { DEFAULT_TOLERANCE, satisfiesFormula } from "./evaluate.js";
import type { Formula } from "./formula.js";
import { growInt32 } from "./growable.js";
import type { ConstraintSystem } from "./system.js";

/**
 * How to pick a disjunct when x* satisfies several (the paper assumes it never does; on
 * real networks it often does, e.g. tied max-pool windows). "first": the lowest-index one.
 */
export type TieRule = "first";

export interface RestrictOptions {
  tol?: number;
  ties?: TieRule;
}

/** D(x*): the disjunction-free system obtained by keeping, in every ∨, the disjunct x* satisfies. */
export interface Restriction {
  /** Required rows followed by the rows of every chosen disjunct. */
  readonly rows: Int32Array;
  /** For each top-level disjunction, the index of the alternative kept. */
  readonly choices: Int32Array;
  /** Number of disjunctions (at any depth) where x* satisfied more than one alternative. */
  readonly ties: number;
  /** Indices of the top-level disjunctions that were tied. */
  readonly tiedDisjunctions: Int32Array;
}

/** Computes the convex restriction of `sys` at the point `x` (paper §4, D(x*)). */
export function restrictAt(
  sys: ConstraintSystem,
  x: ArrayLike<number>,
  opts: RestrictOptions = {},
): Restriction {
  const tol = opts.tol ?? DEFAULT_TOLERANCE;
  const rows = growInt32(sys.requiredRows().length * 2 + 16);
  for (const r of sys.requiredRows()) rows.push(r);
  const choices = new Int32Array(sys.disjunctions.length);
  const tied = growInt32();
  let ties = 0;

  // Returns whether the formula's own choice was tied, pushing the rows it keeps.
  const keep = (f: Formula, where: string): boolean => {
    switch (f.kind) {
      case "row":
        rows.push(f.row);
        return false;
      case "and": {
        let anyTie = false;
        for (const p of f.parts) anyTie = keep(p, where) || anyTie;
        return anyTie;
      }
      case "or": {
        const { chosen, tie } = choose(f.parts, where);
        if (tie) ties++;
        keep(f.parts[chosen] as Formula, where);
        return tie;
      }
    }
  };

  // "first" rule: the first satisfied alternative; a tie when a later one is satisfied too.
  const choose = (parts: readonly Formula[], where: string): { chosen: number; tie: boolean } => {
    let chosen = -1;
    for (let i = 0; i < parts.length; i++) {
      if (!satisfiesFormula(sys.rows, parts[i] as Formula, x, tol)) continue;
      if (chosen >= 0) return { chosen, tie: true };
      chosen = i;
    }
    if (chosen < 0) throw new PointOutsideError(`the point satisfies no alternative of ${where}`);
    return { chosen, tie: false };
  };

  sys.disjunctions.forEach((d, i) => {
    const { chosen, tie } = choose(d.parts, `disjunction ${i}`);
    choices[i] = chosen;
    if (tie) {
      ties++;
      tied.push(i);
    }
    keep(d.parts[chosen] as Formula, `disjunction ${i}`);
  });
  return { rows: rows.view().slice(), choices, ties, tiedDisjunctions: tied.view().slice() };
}
