import { type LinearProgram, validateProgram } from "@rho/constraints";
import * as jslpModule from "javascript-lp-solver";
import { UnsupportedError } from "./errors.js";
import { RebuildSession } from "./session.js";
import type { LpResult, LpSession, LpSolver, SolveOptions } from "./types.js";
import { timed } from "./verify.js";

// Same .d.ts for both builds: the ES default export may appear one level deeper to TypeScript.
type Jslp = typeof jslpModule.default.default;
const jns = jslpModule as unknown as { default: Jslp | { default: Jslp } };
const jslp: Jslp = "Solve" in jns.default ? jns.default : jns.default.default;

type Bound = { min?: number; max?: number; equal?: number };

const bound = (lo: number, hi: number): Bound => {
  if (lo === hi) return { equal: lo };
  const b: Bound = {};
  if (lo !== Number.NEGATIVE_INFINITY) b.min = lo;
  if (hi !== Number.POSITIVE_INFINITY) b.max = hi;
  return b;
};

/**
 * javascript-lp-solver's JSON model, in standard form. Its variables are non-negative, and its
 * "unrestricted" variables give wrong optima (measured with 1.0.3: min x s.t. −1 ≤ x ≤ 0 returns
 * 0), so every column is rewritten over non-negative variables: x = lo + y, x = hi − y, or
 * x = y⁺ − y⁻ when free. Upper limits on y become rows.
 */
function toJslp(lp: LinearProgram) {
  const n = lp.numCols;
  const shift = new Float64Array(n); // x = shift + sign·y (− y⁻ for free columns)
  const sign = new Float64Array(n);
  const free = new Uint8Array(n);
  const constraints: Record<string, Bound> = {};
  const variables: Record<string, Record<string, number>> = {};
  for (let j = 0; j < n; j++) {
    const lo = lp.colLower[j] as number;
    const hi = lp.colUpper[j] as number;
    const c = lp.objective[j] as number;
    if (Number.isFinite(lo)) {
      shift[j] = lo;
      sign[j] = 1;
      variables[`y${j}`] = { obj: c };
      if (Number.isFinite(hi)) {
        constraints[`u${j}`] = { max: hi - lo };
        (variables[`y${j}`] as Record<string, number>)[`u${j}`] = 1;
      }
    } else if (Number.isFinite(hi)) {
      shift[j] = hi;
      sign[j] = -1;
      variables[`y${j}`] = { obj: -c };
    } else {
      sign[j] = 1;
      free[j] = 1;
      variables[`y${j}`] = { obj: c };
      variables[`z${j}`] = { obj: -c };
    }
  }
  const r = lp.rows;
  for (let i = 0; i < r.count; i++) {
    let offset = 0;
    for (let k = r.starts[i] as number; k < (r.starts[i + 1] as number); k++) {
      const j = r.indices[k] as number;
      const w = r.values[k] as number;
      offset += w * (shift[j] as number);
      (variables[`y${j}`] as Record<string, number>)[`r${i}`] = w * (sign[j] as number);
      if (free[j]) (variables[`z${j}`] as Record<string, number>)[`r${i}`] = -w;
    }
    constraints[`r${i}`] = bound((r.lower[i] as number) - offset, (r.upper[i] as number) - offset);
  }
  const model = { optimize: "obj", opType: lp.sense, constraints, variables };
  const recover = (values: Record<string, number>) =>
    Float64Array.from(
      { length: n },
      (_, j) =>
        (shift[j] as number) +
        (sign[j] as number) * (values[`y${j}`] ?? 0) -
        (free[j] ? (values[`z${j}`] ?? 0) : 0),
    );
  return { model, recover };
}

interface JslpSolution {
  feasible: boolean;
  bounded: boolean;
  solutionSet: Record<string, number>;
  _tableau?: { simplexIters?: number };
}

class JslpSolver implements LpSolver {
  readonly name = "jslp";
  readonly capabilities = { warmStart: false, mip: false, timeLimit: false };

  async solve(lp: LinearProgram, opts: SolveOptions = {}): Promise<LpResult> {
    this.check(lp, opts);
    return timed("jslp", lp, opts, () => {
      const { model, recover } = toJslp(lp);
      const sol = jslp.Solve(model as never, 1e-9, true) as JslpSolution;
      const iterations = sol._tableau?.simplexIters;
      const it = iterations !== undefined ? { iterations } : {};
      if (!sol.feasible) return { status: "infeasible", ...it };
      if (!sol.bounded) return { status: "unbounded", ...it };
      return { status: "optimal", primal: recover(sol.solutionSet), ...it };
    });
  }

  private check(lp: LinearProgram, opts: SolveOptions): void {
    validateProgram(lp);
    if (lp.integer?.some((v) => v !== 0))
      throw new UnsupportedError("jslp: integer columns are not supported (use highs or glpk)");
    if (opts.timeLimit !== undefined)
      throw new UnsupportedError("jslp: a time limit is not supported (use highs or glpk)");
  }

  session(lp: LinearProgram, opts: SolveOptions = {}): LpSession {
    this.check(lp, opts);
    return new RebuildSession(this, lp, opts);
  }
}

export async function createJslpSolver(): Promise<LpSolver> {
  return new JslpSolver();
}
