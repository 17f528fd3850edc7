// One benchmark cell (size × solver × mode), run in a worker thread so the parent can stop a
// solve that exceeds its time limit (javascript-lp-solver is synchronous and cannot be interrupted).
import { parentPort, workerData } from "node:worker_threads";
import { getSolver, RowPool, solveIteratively, withAllRows } from "@rho/solvers";
import { generate } from "./generate.js";

export interface CellJob {
  size: { name: string; n: number; m: number };
  solver: string;
  mode: "full" | "iterative";
  reps: number;
  budgetSeconds: number;
  seed: number;
}

export interface RepResult {
  seconds: number;
  status: string;
  objective?: number;
  rounds: number;
  rowsInFinalLp: number;
  iterations?: number;
}

const job = workerData as CellJob;
const inst = generate(job.size.name, job.size.n, job.size.m, job.seed);
const solver = await getSolver(job.solver);
const full = job.mode === "full" ? withAllRows(inst.base, inst.pool) : undefined;
let spent = 0;
for (let rep = 0; rep < job.reps && (rep === 0 || spent < job.budgetSeconds); rep++) {
  let out: RepResult;
  if (full) {
    const t0 = performance.now();
    const r = await solver.solve(full);
    const seconds = (performance.now() - t0) / 1000;
    out = { seconds, status: r.status, rounds: 1, rowsInFinalLp: full.rows.count };
    if (r.objective !== undefined) out.objective = r.objective;
    if (r.iterations !== undefined) out.iterations = r.iterations;
  } else {
    const it = await solveIteratively(solver, inst.base, new RowPool(inst.pool));
    out = {
      seconds: it.seconds,
      status: it.result.status,
      rounds: it.rounds,
      rowsInFinalLp: inst.base.rows.count + it.rowsAdded,
    };
    if (it.result.objective !== undefined) out.objective = it.result.objective;
    if (it.iterations !== undefined) out.iterations = it.iterations;
  }
  spent += out.seconds;
  parentPort?.postMessage(out);
}
