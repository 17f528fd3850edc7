import { Worker } from "node:worker_threads";
import {
  colName,
  concatRows,
  type LinearProgram,
  type RowBatch,
  rowName,
  validateProgram,
} from "@rho/constraints";
import * as highsModule from "highs";
import { UnsupportedError } from "./errors.js";
import type { LpResult, LpSession, LpSolver, LpStatus, SolveOptions } from "./types.js";
import { findViolation, timed } from "./verify.js";

// highs ships one .d.ts for its CommonJS and ES builds, so TypeScript (NodeNext) sees the ES
// default export one level deeper than it is at run time.
type Loader = typeof highsModule.default.default;
const ns = highsModule as unknown as { default: Loader | { default: Loader } };
const loadHighs: Loader = typeof ns.default === "function" ? ns.default : ns.default.default;
type Highs = Awaited<ReturnType<Loader>>;
type Model = ReturnType<Highs["createModel"]>;

// HiGHS model status codes (Highs_getModelStatus).
const STATUS: Record<number, LpStatus> = {
  7: "optimal",
  8: "infeasible",
  9: "infeasible_or_unbounded",
  10: "unbounded",
  13: "time_limit",
  14: "iteration_limit",
};
const INFEASIBLE_OR_UNBOUNDED = 9;
const UNKNOWN = 15;
const UNKNOWN_RETRIES: readonly Record<string, string | number>[] = [
  { solver: "simplex", simplex_scale_strategy: 0 },
  { solver: "simplex", simplex_strategy: 4 },
];
// What the other codes mean, for messages (HighsModelStatus).
const CODE_NAMES: Record<number, string> = {
  1: "load error",
  2: "model error",
  3: "presolve error",
  4: "solve error",
  5: "postsolve error",
  15: "unknown: the solver stopped without a conclusion, usually numerical trouble",
  17: "interrupted",
};

// HiGHS reads any bound or cost of magnitude ≥ 1e20 as infinite (a bounded LP would come back
// "unbounded") and refuses matrix coefficients of magnitude ≥ 1e15 ("passModel failed"). Such
// programs are refused here with the value named; glpk solves them.
const HIGHS_INFINITE = 1e20;
const HIGHS_LARGE_MATRIX = 1e15;

function checkMagnitudes(lp: LinearProgram, rows: RowBatch): void {
  const refuse = (what: string, v: number, limit: number) => {
    throw new UnsupportedError(
      `highs: ${what} is ${v.toExponential()}; HiGHS treats magnitudes ≥ ${limit === HIGHS_INFINITE ? "1e20 as infinite" : "1e15 as invalid matrix entries"} (rescale the program, or use --solver glpk)`,
    );
  };
  const bound = (what: string, v: number) => {
    if (Number.isFinite(v) && Math.abs(v) >= HIGHS_INFINITE) refuse(what, v, HIGHS_INFINITE);
  };
  if (rows === lp.rows) {
    for (let j = 0; j < lp.numCols; j++) {
      bound(`the lower bound of column ${colName(lp, j)}`, lp.colLower[j] as number);
      bound(`the upper bound of column ${colName(lp, j)}`, lp.colUpper[j] as number);
      bound(`the objective coefficient of column ${colName(lp, j)}`, lp.objective[j] as number);
    }
    bound("the objective offset", lp.objectiveOffset);
  }
  for (let i = 0; i < rows.count; i++) {
    bound(`the lower bound of row ${rowName(rows, i)}`, rows.lower[i] as number);
    bound(`the upper bound of row ${rowName(rows, i)}`, rows.upper[i] as number);
    for (let k = rows.starts[i] as number; k < (rows.starts[i + 1] as number); k++) {
      const v = rows.values[k] as number;
      if (Math.abs(v) >= HIGHS_LARGE_MATRIX)
        refuse(
          `the coefficient of column ${colName(lp, rows.indices[k] as number)} in row ${rowName(rows, i)}`,
          v,
          HIGHS_LARGE_MATRIX,
        );
    }
  }
}

function csr(rows: RowBatch, numCols: number) {
  const nnz = rows.starts[rows.count] as number;
  return {
    format: "csr" as const,
    numRows: rows.count,
    numCols,
    starts: rows.starts,
    indices: rows.indices.subarray(0, nnz),
    values: rows.values.subarray(0, nnz),
  };
}

// Measured on rho's distance MILPs (benchmarks/bounds): with these on, RENS/RINS sub-MIPs took
// 48 of 60 s at the root and no node was explored; off, the same MILP was solved in 24 s.
const NO_PRIMAL_HEURISTICS = {
  mip_heuristic_effort: 0,
  mip_heuristic_run_rens: false,
  mip_heuristic_run_rins: false,
  mip_heuristic_run_root_reduced_cost: false,
  mip_heuristic_run_zi_round: false,
  mip_heuristic_run_shifting: false,
};

/**
 * With `method: "interior"`, a session round that added at most this many rows per column since
 * the last solve is solved by the dual simplex from the last basis rather than by the interior
 * point method from scratch (HiGHS' IPM does not warm-start). On alp-walk's final LPs over a
 * NiN region (3,072 columns, ~17,000 dense rows) the tail rounds add tens of rows: the IPM took
 * ~55 s each, the dual simplex 16 s for 73 rows and 1.4 s for 12; at 1,536 rows the IPM was as
 * fast or faster (benchmarks/alp/README.md, "Warm tail rounds").
 */
const WARM_ROWS_PER_COLUMN = 1 / 6;

/**
 * HiGHS through its persistent Model API: rows added to a session go into the same native
 * model, so the next `run()` starts from the previous basis (the warm start iterative
 * constraint solving relies on).
 */
class HighsSession implements LpSession {
  private lp: LinearProgram;
  private readonly model: Model;
  /** Rows added since the last solve, and whether a solve has left a basis to start from. */
  private added = 0;
  private solved = false;
  constructor(
    highs: Highs,
    lp: LinearProgram,
    private readonly opts: SolveOptions,
  ) {
    validateProgram(lp);
    checkMagnitudes(lp, lp.rows);
    this.lp = lp;
    this.model = highs.createModel({
      numCols: lp.numCols,
      numRows: lp.rows.count,
      sense:
        lp.sense === "min"
          ? highs.constants.objectiveSense.minimize
          : highs.constants.objectiveSense.maximize,
      offset: lp.objectiveOffset,
      colCost: lp.objective,
      colLower: lp.colLower,
      colUpper: lp.colUpper,
      rowLower: lp.rows.lower,
      rowUpper: lp.rows.upper,
      matrix: csr(lp.rows, lp.numCols),
      ...(lp.integer ? { integrality: Int32Array.from(lp.integer) } : {}),
    });
    this.model.options.set({ output_flag: false });
    if (opts.timeLimit !== undefined) this.model.options.set({ time_limit: opts.timeLimit });
    if (opts.mipFocus === "bound") this.model.options.set(NO_PRIMAL_HEURISTICS);
    // HiGHS' interior point method with crossover (its default): a vertex and a basis, as the
    // simplex gives; the rounds after it start from that basis as usual
    if (opts.method === "interior") this.model.options.set({ solver: "ipm", run_crossover: "on" });
    for (const [name, value] of Object.entries(opts.solverOptions ?? {})) {
      try {
        this.model.options.set(name, value);
      } catch (e) {
        this.model.dispose();
        throw new UnsupportedError(
          `highs: cannot set option ${name} = ${value}: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  }

  get numRows(): number {
    return this.lp.rows.count;
  }

  addRows(rows: RowBatch): void {
    if (rows.count === 0) return;
    this.added += rows.count;
    const next = { ...this.lp, rows: concatRows(this.lp.rows, rows) };
    validateProgram(next);
    checkMagnitudes(this.lp, rows);
    this.model.addRows({ lower: rows.lower, upper: rows.upper, matrix: csr(rows, this.lp.numCols) });
    this.lp = next;
  }

  async solve(): Promise<LpResult> {
    return timed("highs", this.lp, this.opts, () => {
      if (this.lp.numCols === 0) return { status: "optimal", primal: new Float64Array(0) };
      this.model.zeroAllClocks(); // time_limit is cumulative across runs otherwise
      // past the first run, few new rows go to the dual simplex from the basis (a user's own
      // `solver` option stands)
      if (this.opts.method === "interior" && this.solved && this.opts.solverOptions?.solver === undefined) {
        const warm = this.added <= this.lp.numCols * WARM_ROWS_PER_COLUMN;
        this.model.options.set({ solver: warm ? "simplex" : "ipm" });
      }
      this.added = 0;
      this.solved = true;
      let code = this.model.run().modelStatus as number;
      // HiGHS can stop without a conclusion (status 15) on a region LP its scaling makes worse
      // (seen on 32×32×3 inputs, by the interior point method and the dual simplex alike, where
      // GLPK settles the LP): the dual simplex unscaled, then the primal simplex, settle them
      for (const retry of UNKNOWN_RETRIES)
        if (code === UNKNOWN) {
          this.model.clearSolver(); // from scratch: the failed run's basis is part of the trouble
          code = this.runWith(retry);
        }
      if (code === INFEASIBLE_OR_UNBOUNDED) {
        // Presolve could not tell which; the simplex without presolve can.
        code = this.runWith({ presolve: "off" });
      }
      const status = STATUS[code] ?? "error";
      let iterations = this.iterationCount();
      // a MILP's dual bound: what is proven about the optimum, also at a time limit
      const bound = this.lp.integer?.some((v) => v !== 0)
        ? Number(this.model.info.get("mip_dual_bound"))
        : undefined;
      const b = bound !== undefined ? { bound } : {};
      if (status !== "optimal") {
        const name = CODE_NAMES[code] ?? STATUS[code]?.replaceAll("_", " ");
        return { status, iterations, message: `HiGHS model status ${code}${name ? ` (${name})` : ""}`, ...b };
      }
      let primal = this.model.getSolution().colValue;
      if (findViolation(this.lp, primal, this.opts.feasibilityTolerance) !== undefined) {
        // HiGHS judges feasibility on its scaled, presolved model: back in rho's units a vertex
        // can lie ~1e-6 outside a row (seen on ALP LPs with t bounded). Solving again from that
        // basis without presolve and with a tighter tolerance cleans it up in a few iterations;
        // still outside, the result is refused as before.
        const again =
          STATUS[this.runWith({ presolve: "off", primal_feasibility_tolerance: 1e-9, solver: "simplex" })];
        iterations += this.iterationCount();
        if (again === "optimal") primal = this.model.getSolution().colValue;
      }
      return { status, iterations, primal, ...b };
    });
  }

  /** The last run's iterations: simplex, interior point and crossover together. */
  private iterationCount(): number {
    const count = (name: string) => Number(this.model.info.get(name)) || 0;
    return (
      count("simplex_iteration_count") + count("ipm_iteration_count") + count("crossover_iteration_count")
    );
  }

  /** One run with these options, their previous values (a user's own included) restored after. */
  private runWith(options: Record<string, string | number | boolean>): number {
    const before = Object.fromEntries(Object.keys(options).map((k) => [k, this.model.options.get(k)]));
    this.model.options.set(options);
    try {
      return this.model.run().modelStatus as number;
    } finally {
      this.model.options.set(before);
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

class HighsSolver implements LpSolver {
  readonly name = "highs";
  readonly capabilities = { warmStart: true, mip: true, timeLimit: true, interiorPoint: true };
  constructor(private readonly highs: Highs) {}

  async solve(lp: LinearProgram, opts: SolveOptions = {}): Promise<LpResult> {
    checkTimeLimit(opts);
    if (opts.timeLimit !== undefined && lp.integer?.some((v) => v !== 0)) return solveInWorker(lp, opts);
    return this.solveHere(lp, opts);
  }

  async solveHere(lp: LinearProgram, opts: SolveOptions): Promise<LpResult> {
    const s = this.session(lp, opts);
    try {
      return await s.solve();
    } finally {
      s.dispose();
    }
  }

  session(lp: LinearProgram, opts: SolveOptions = {}): LpSession {
    checkTimeLimit(opts);
    return new HighsSession(this.highs, lp, opts);
  }
}

function checkTimeLimit(opts: SolveOptions): void {
  if (opts.timeLimit !== undefined && !(opts.timeLimit > 0))
    throw new UnsupportedError(`time limit must be positive, got ${opts.timeLimit}`);
}

let here: Promise<HighsSolver> | undefined;
/** A solve in this thread (what the MILP worker runs). */
export async function solveHere(lp: LinearProgram, opts: SolveOptions): Promise<LpResult> {
  here ??= loadHighs().then((h) => new HighsSolver(h));
  return (await here).solveHere(lp, opts);
}

// HiGHS in the worker is given a little less than the caller's limit (loading the model and
// answering take time too), so that it usually stops by itself, with its dual bound; the worker
// is ended at the caller's limit.
const innerLimit = (limit: number) => Math.max(0.05, 0.95 * limit - 0.15);
const HARD_STOP_SLACK = 0.05;

let idle: Worker | undefined;

/**
 * A MILP with a time limit, solved in a worker thread that is ended at the deadline: the limit
 * holds even where HiGHS does not check it. Ended, the answer is time_limit with no dual bound.
 */
function solveInWorker(lp: LinearProgram, opts: SolveOptions): Promise<LpResult> {
  // src/highs.ts (tests) and dist/highs.js both find the compiled worker in dist/
  const worker = idle ?? new Worker(new URL("../dist/highs-worker.js", import.meta.url));
  idle = undefined;
  worker.ref();
  const limit = opts.timeLimit as number;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      worker.removeAllListeners("message");
      worker.removeAllListeners("error");
      worker.removeAllListeners("exit");
    };
    const timer = setTimeout(
      () => {
        done();
        void worker.terminate();
        resolve({
          status: "time_limit",
          solver: "highs",
          seconds: (performance.now() - t0) / 1000,
          message: `HiGHS had not stopped at the time limit of ${limit} s: ended`,
        });
      },
      1000 * (limit + HARD_STOP_SLACK),
    );
    worker.on("message", (a: { result?: LpResult; error?: { name: string; message: string } }) => {
      done();
      worker.unref();
      if (idle) void worker.terminate();
      else idle = worker;
      if (a.result) resolve(a.result);
      else {
        const e =
          a.error?.name === "UnsupportedError"
            ? new UnsupportedError(a.error.message)
            : new Error(a.error?.message);
        reject(e);
      }
    });
    worker.on("error", (e) => {
      done();
      void worker.terminate();
      reject(e);
    });
    worker.on("exit", (code) => {
      done();
      reject(new Error(`the HiGHS worker exited (code ${code})`));
    });
    worker.postMessage({ lp, opts: { ...opts, timeLimit: innerLimit(limit) } });
  });
}

export async function createHighsSolver(): Promise<LpSolver> {
  return new HighsSolver(await loadHighs());
}
