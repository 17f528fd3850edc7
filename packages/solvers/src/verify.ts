import { colName, type LinearProgram, rowActivities, rowName } from "@rho/constraints";
import type { LpResult, LpStatus, SolveOptions } from "./types.js";

export const DEFAULT_FEASIBILITY_TOLERANCE = 1e-6;

/**
 * Describes the worst violation of x against the program's bounds, rows and integrality, or
 * returns undefined when x is feasible. Tolerances scale with the magnitude of the row's terms,
 * so large coefficients do not turn round-off into "infeasible".
 */
export function findViolation(
  lp: LinearProgram,
  x: Float64Array,
  tol = DEFAULT_FEASIBILITY_TOLERANCE,
): string | undefined {
  if (x.length !== lp.numCols) return `the solution has ${x.length} values for ${lp.numCols} columns`;
  for (let j = 0; j < lp.numCols; j++) {
    const v = x[j] as number;
    const t = tol * Math.max(1, Math.abs(v));
    if (!Number.isFinite(v)) return `column ${colName(lp, j)} has value ${v}`;
    if (v < (lp.colLower[j] as number) - t || v > (lp.colUpper[j] as number) + t) {
      return `column ${colName(lp, j)} = ${v} is outside [${lp.colLower[j]}, ${lp.colUpper[j]}]`;
    }
    if (lp.integer?.[j] && Math.abs(v - Math.round(v)) > 1e-6)
      return `integer column ${colName(lp, j)} = ${v}`;
  }
  const r = lp.rows;
  const a = new Float64Array(r.count);
  const m = new Float64Array(r.count);
  rowActivities(r, x, a, m);
  for (let i = 0; i < r.count; i++) {
    const t = tol * Math.max(1, m[i] as number);
    const ai = a[i] as number;
    if (ai < (r.lower[i] as number) - t || ai > (r.upper[i] as number) + t) {
      return `row ${rowName(r, i)} = ${ai} is outside [${r.lower[i]}, ${r.upper[i]}]`;
    }
  }
  return undefined;
}

export function objectiveAt(lp: LinearProgram, x: Float64Array): number {
  let s = lp.objectiveOffset;
  for (let j = 0; j < lp.numCols; j++) s += (lp.objective[j] as number) * (x[j] as number);
  return s;
}

export interface RawOutcome {
  status: LpStatus;
  primal?: Float64Array;
  iterations?: number;
  message?: string;
  bound?: number;
}

/**
 * Turns an adapter's raw outcome into an LpResult. An "optimal" whose primal violates the
 * program is downgraded to "error": rho never passes on a wrong optimum.
 */
export function finishResult(
  solver: string,
  lp: LinearProgram,
  raw: RawOutcome,
  seconds: number,
  opts: SolveOptions = {},
): LpResult {
  const base = {
    solver,
    seconds,
    ...(raw.iterations !== undefined ? { iterations: raw.iterations } : {}),
    ...(raw.bound !== undefined && Number.isFinite(raw.bound) ? { bound: raw.bound } : {}),
  };
  if (raw.status !== "optimal") {
    return { ...base, status: raw.status, ...(raw.message ? { message: raw.message } : {}) };
  }
  if (!raw.primal)
    return { ...base, status: "error", message: `${solver} reported optimal without a solution` };
  const bad = findViolation(lp, raw.primal, opts.feasibilityTolerance);
  if (bad) return { ...base, status: "error", message: `${solver} reported optimal, but ${bad}` };
  return { ...base, status: "optimal", primal: raw.primal, objective: objectiveAt(lp, raw.primal) };
}

/** Runs a synchronous adapter body, timing it and turning a thrown exception into status "error". */
export function timed(
  solver: string,
  lp: LinearProgram,
  opts: SolveOptions,
  body: () => RawOutcome,
): LpResult {
  const t0 = performance.now();
  let raw: RawOutcome;
  try {
    raw = body();
  } catch (e) {
    raw = { status: "error", message: `${solver} failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  return finishResult(solver, lp, raw, (performance.now() - t0) / 1000, opts);
}
