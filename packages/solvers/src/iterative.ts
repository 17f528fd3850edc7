import { concatRows, emptyRows, type LinearProgram, type RowBatch, selectRows } from "@rho/constraints";
import type { LpResult, LpSolver, SolveOptions } from "./types.js";

/**
 * Supplies the rows left out of the base LP. Iterative constraint solving (paper §4) asks it,
 * after each solve, for the rows the current solution violates.
 */
export interface RowOracle {
  /** Rows not yet handed out that x violates by more than `tol` (scaled by row magnitude). */
  violated(x: Float64Array, tol: number): RowBatch;
  /** Every row not yet handed out; used when the relaxation is unbounded and gives no point to test. */
  rest(): RowBatch;
}

export interface IterativeOptions extends SolveOptions {
  /** Violation tolerance for adding a row (default 1e-7 × row magnitude). */
  readonly violationTolerance?: number;
  /** Safety cap on rounds (default 1,000). */
  readonly maxRounds?: number;
}

export interface IterativeResult {
  readonly result: LpResult;
  /** Number of solves performed. */
  readonly rounds: number;
  /** Rows of the final LP beyond the base rows. */
  readonly rowsAdded: number;
  /** Wall-clock seconds for the whole loop, oracle included. */
  readonly seconds: number;
  /** Solver iterations summed over rounds, when the solver reports them. */
  readonly iterations?: number;
}

/**
 * Solves min/max c·x over base rows ∧ oracle rows by lazily adding violated rows: solve the base
 * LP, add the rows its solution violates, re-solve (warm-started where the solver can), repeat
 * until nothing is violated. The final solution is then feasible for all rows and optimal for a
 * relaxation, hence optimal for the full LP. An infeasible relaxation proves the full LP infeasible.
 */
export async function solveIteratively(
  solver: LpSolver,
  base: LinearProgram,
  oracle: RowOracle,
  opts: IterativeOptions = {},
): Promise<IterativeResult> {
  const tol = opts.violationTolerance ?? 1e-7;
  const maxRounds = opts.maxRounds ?? 1000;
  const session = solver.session(base, opts);
  const t0 = performance.now();
  let rounds = 0;
  let iterations: number | undefined = 0;
  try {
    for (;;) {
      const result = await session.solve();
      rounds++;
      iterations =
        iterations === undefined || result.iterations === undefined
          ? undefined
          : iterations + result.iterations;
      const done = (r: LpResult) => ({
        result: r,
        rounds,
        rowsAdded: session.numRows - base.rows.count,
        seconds: (performance.now() - t0) / 1000,
        ...(iterations !== undefined ? { iterations } : {}),
      });
      let rows: RowBatch;
      if (result.status === "optimal") rows = oracle.violated(result.primal as Float64Array, tol);
      else if (result.status === "unbounded" || result.status === "infeasible_or_unbounded")
        rows = oracle.rest();
      else return done(result);
      if (rows.count === 0) return done(result);
      if (rounds >= maxRounds) {
        return done({
          ...result,
          status: "iteration_limit",
          message: `no convergence in ${maxRounds} rounds`,
        });
      }
      session.addRows(rows);
    }
  } finally {
    session.dispose();
  }
}

/** A RowOracle over a fixed, known set of candidate rows (the paper's setting: all of C is known). */
export class RowPool implements RowOracle {
  private readonly added: Uint8Array;
  private remaining: number;
  constructor(
    private readonly rows: RowBatch,
    private readonly maxPerRound = Number.POSITIVE_INFINITY,
  ) {
    this.added = new Uint8Array(rows.count);
    this.remaining = rows.count;
  }

  violated(x: Float64Array, tol: number): RowBatch {
    const r = this.rows;
    const found: { i: number; v: number }[] = [];
    for (let i = 0; i < r.count; i++) {
      if (this.added[i]) continue;
      let a = 0;
      let scale = 1;
      for (let k = r.starts[i] as number; k < (r.starts[i + 1] as number); k++) {
        const t = (r.values[k] as number) * (x[r.indices[k] as number] as number);
        a += t;
        scale = Math.max(scale, Math.abs(t));
      }
      const v = Math.max((r.lower[i] as number) - a, a - (r.upper[i] as number));
      if (v > tol * scale) found.push({ i, v: v / scale });
    }
    if (found.length > this.maxPerRound) found.sort((p, q) => q.v - p.v).length = this.maxPerRound;
    return this.take(found.map((f) => f.i).sort((p, q) => p - q));
  }

  rest(): RowBatch {
    const ids: number[] = [];
    for (let i = 0; i < this.rows.count; i++) if (!this.added[i]) ids.push(i);
    return this.take(ids);
  }

  get remainingRows(): number {
    return this.remaining;
  }

  private take(ids: number[]): RowBatch {
    if (ids.length === 0) return emptyRows();
    for (const i of ids) this.added[i] = 1;
    this.remaining -= ids.length;
    return selectRows(this.rows, ids);
  }
}

/** Solves the full LP (base rows plus every candidate row) in one go, for comparison. */
export function withAllRows(base: LinearProgram, rows: RowBatch): LinearProgram {
  return { ...base, rows: concatRows(base.rows, rows) };
}
