import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { type LinearProgram, validateProgram } from "@rho/constraints";
import { checkMethod, UnsupportedError } from "./errors.js";
import { RebuildSession } from "./session.js";
import type { LpResult, LpSession, LpSolver, SolveOptions } from "./types.js";
import { finishResult, type RawOutcome } from "./verify.js";

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

// javascript-lp-solver runs synchronously and has no time limit of its own, so it runs in a worker
// thread that is stopped at the limit: no jslp solve can hang the process. The worker is kept
// for the next solve (unref'd: it never keeps the process alive) and replaced after a stop.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const jslp = require(workerData.path);
parentPort.on("message", (model) => {
  try {
    const sol = jslp.Solve(model, 1e-9, true);
    parentPort.postMessage({
      feasible: sol.feasible,
      bounded: sol.bounded,
      solutionSet: sol.solutionSet,
      iterations: sol._tableau ? sol._tableau.simplexIters : undefined,
    });
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e) });
  }
});
`;
const JSLP_PATH = createRequire(import.meta.url).resolve("javascript-lp-solver");

interface WorkerAnswer {
  feasible?: boolean;
  bounded?: boolean;
  solutionSet?: Record<string, number>;
  iterations?: number;
  error?: string;
}

let idle: Worker | undefined;

/** One model solved in the worker; "timeout" when the limit passes first (the worker is stopped). */
function solveInWorker(model: unknown, timeLimit?: number): Promise<WorkerAnswer | "timeout"> {
  const worker = idle ?? new Worker(WORKER_SOURCE, { eval: true, workerData: { path: JSLP_PATH } });
  idle = undefined;
  worker.ref();
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      worker.removeAllListeners("message");
      worker.removeAllListeners("error");
    };
    worker.on("message", (a: WorkerAnswer) => {
      done();
      worker.unref();
      if (idle) void worker.terminate();
      else idle = worker;
      resolve(a);
    });
    worker.on("error", (e) => {
      done();
      void worker.terminate();
      reject(e);
    });
    if (timeLimit !== undefined)
      timer = setTimeout(() => {
        done();
        void worker.terminate();
        resolve("timeout");
      }, timeLimit * 1000);
    worker.postMessage(model);
  });
}

class JslpSolver implements LpSolver {
  readonly name = "jslp";
  readonly capabilities = { warmStart: false, mip: false, timeLimit: true, interiorPoint: false };

  async solve(lp: LinearProgram, opts: SolveOptions = {}): Promise<LpResult> {
    this.check(lp, opts);
    const t0 = performance.now();
    const { model, recover } = toJslp(lp);
    let raw: RawOutcome;
    try {
      const a = await solveInWorker(model, opts.timeLimit);
      if (a === "timeout")
        raw = { status: "time_limit", message: `jslp stopped at the time limit of ${opts.timeLimit} s` };
      else {
        const it = a.iterations !== undefined ? { iterations: a.iterations } : {};
        if (a.error !== undefined) raw = { status: "error", message: `jslp failed: ${a.error}` };
        else if (!a.feasible) raw = { status: "infeasible", ...it };
        else if (!a.bounded) raw = { status: "unbounded", ...it };
        else raw = { status: "optimal", primal: recover(a.solutionSet ?? {}), ...it };
      }
    } catch (e) {
      raw = { status: "error", message: `jslp failed: ${(e as Error).message}` };
    }
    return finishResult("jslp", lp, raw, (performance.now() - t0) / 1000, opts);
  }

  private check(lp: LinearProgram, opts: SolveOptions): void {
    validateProgram(lp);
    if (lp.integer?.some((v) => v !== 0))
      throw new UnsupportedError("jslp: integer columns are not supported (use highs or glpk)");
    if (opts.timeLimit !== undefined && !(opts.timeLimit > 0))
      throw new UnsupportedError(`time limit must be positive, got ${opts.timeLimit}`);
    checkMethod("jslp", this.capabilities.interiorPoint, opts.method);
  }

  session(lp: LinearProgram, opts: SolveOptions = {}): LpSession {
    this.check(lp, opts);
    return new RebuildSession(this, lp, opts);
  }
}

export async function createJslpSolver(): Promise<LpSolver> {
  return new JslpSolver();
}
