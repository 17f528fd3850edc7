import {
  concatRows,
  emptyRows,
  type LinearProgram,
  type RowBatch,
  rowViolations,
  selectRows,
} from "@rho/constraints";
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
  /** Seconds inside the solver, summed over rounds (the rest is the oracle's). */
  readonly solverSeconds: number;
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
  let solverSeconds = 0;
  try {
    for (;;) {
      const result = await session.solve();
      rounds++;
      solverSeconds += result.seconds;
      iterations =
        iterations === undefined || result.iterations === undefined
          ? undefined
          : iterations + result.iterations;
      const done = (r: LpResult) => ({
        result: r,
        rounds,
        rowsAdded: session.numRows - base.rows.count,
        seconds: (performance.now() - t0) / 1000,
        solverSeconds,
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

/** Candidate rows that a RowPool hands out: how much a point violates each, and the rows themselves. */
export interface RowSource {
  readonly count: number;
  /** Each candidate's violation at x in units of its magnitude (≤ 0 where it holds). */
  violations(x: Float64Array): Float64Array;
  /** The candidates `ids` (increasing) as rows. */
  rows(ids: readonly number[]): RowBatch;
  /**
   * Candidates far dearer to build than the rest (rows composed through most of a network):
   * a capped round takes at most `RowPoolOptions.costlyPerRound` of them while cheaper ones are
   * violated too.
   */
  costly?(id: number): boolean;
}

export interface RowPoolOptions {
  /**
   * A capped round takes at most this many costly candidates (`RowSource.costly`), the most
   * violated, unless too few cheap ones are violated to fill the round (default: no limit).
   */
  readonly costlyPerRound?: number;
}

/** A row batch as a RowSource (the paper's setting: all of C is known and written out). */
export function batchSource(rows: RowBatch): RowSource {
  return {
    count: rows.count,
    violations: (x) => rowViolations(rows, x),
    rows: (ids) => selectRows(rows, ids),
  };
}

/**
 * The RowOracle of iterative constraint solving over a fixed set of candidate rows: hands out
 * the ones a point violates (the most violated first when capped), each at most once.
 */
export class RowPool implements RowOracle {
  private readonly source: RowSource;
  private readonly added: Uint8Array;
  private handed = 0;
  /**
   * `given`: candidates already in the base LP (never handed out); `maxPerRound`: at most this
   * many rows a round.
   */
  constructor(
    source: RowBatch | RowSource,
    private readonly maxPerRound = Number.POSITIVE_INFINITY,
    given: Iterable<number> = [],
    private readonly opts: RowPoolOptions = {},
  ) {
    this.source = "violations" in source ? source : batchSource(source);
    this.added = new Uint8Array(this.source.count);
    for (const k of given) {
      if (!this.added[k]) this.handed++;
      this.added[k] = 1;
    }
  }

  violated(x: Float64Array, tol: number): RowBatch {
    const v = this.source.violations(x);
    const found: number[] = [];
    for (let i = 0; i < v.length; i++) if (!this.added[i] && (v[i] as number) > tol) found.push(i);
    if (found.length <= this.maxPerRound) return this.take(found);
    found.sort((p, q) => (v[q] as number) - (v[p] as number));
    return this.take(this.capped(found).sort((p, q) => p - q));
  }

  /** A round's share of `found` (most violated first): the first maxPerRound, costly ones capped. */
  private capped(found: number[]): number[] {
    const costly = this.source.costly?.bind(this.source);
    const cap = this.opts.costlyPerRound;
    if (!costly || cap === undefined || cap >= this.maxPerRound) return found.slice(0, this.maxPerRound);
    const dear = found.filter((i) => costly(i));
    const cheap = found.filter((i) => !costly(i));
    const takeDear = Math.min(dear.length, Math.max(cap, this.maxPerRound - cheap.length));
    return [...dear.slice(0, takeDear), ...cheap.slice(0, this.maxPerRound - takeDear)];
  }

  rest(): RowBatch {
    const ids: number[] = [];
    for (let i = 0; i < this.added.length; i++) if (!this.added[i]) ids.push(i);
    return this.take(ids);
  }

  /** Candidates not yet handed out (nor given). */
  get remainingRows(): number {
    return this.added.length - this.handed;
  }

  /** Candidates in the LP so far: the given ones and those handed out. */
  get usedRows(): number {
    return this.handed;
  }

  private take(ids: number[]): RowBatch {
    if (ids.length === 0) return emptyRows();
    for (const i of ids) this.added[i] = 1;
    this.handed += ids.length;
    return this.source.rows(ids);
  }
}

/** Solves the full LP (base rows plus every candidate row) in one go, for comparison. */
export function withAllRows(base: LinearProgram, rows: RowBatch): LinearProgram {
  return { ...base, rows: concatRows(base.rows, rows) };
}
