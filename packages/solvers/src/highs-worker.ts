// A worker thread that solves one HiGHS MILP at a time for highs.ts: HiGHS (WebAssembly, in the
// thread that calls it) does not check its time limit in every phase — a LeNet distance MILP
// given 2.9 s ran 22.5 s in one run() — so a MILP with a time limit runs here, where the caller
// can end the thread at the deadline.
import { parentPort } from "node:worker_threads";
import type { LinearProgram } from "@rho/constraints";
import { solveHere } from "./highs.js";
import type { SolveOptions } from "./types.js";

const port = parentPort;
if (port)
  port.on("message", async ({ lp, opts }: { lp: LinearProgram; opts: SolveOptions }) => {
    try {
      port.postMessage({ result: await solveHere(lp, opts) });
    } catch (e) {
      port.postMessage({ error: { name: (e as Error).name, message: (e as Error).message } });
    }
  });
