import { readFile } from "node:fs/promises";
import { colName, type LinearProgram, LpParseError, parseLpFormat } from "@rho/constraints";
import { getSolver, type LpResult, type LpSolver } from "@rho/solvers";
import { EXIT_NOT_OK, EXIT_OK, UsageError } from "../errors.js";
import type { Output } from "../output.js";

export interface LpSolveOptions {
  solver: string;
  json: boolean;
  timeLimit?: number;
}

async function readProgram(file: string): Promise<LinearProgram> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  try {
    return parseLpFormat(text);
  } catch (e) {
    if (e instanceof LpParseError) throw new UsageError(`${file}: ${e.message}`);
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
}

export function resultJson(lp: LinearProgram, r: LpResult): Record<string, unknown> {
  return {
    solver: r.solver,
    status: r.status,
    objective: r.objective ?? null,
    seconds: r.seconds,
    iterations: r.iterations ?? null,
    ...(r.message ? { message: r.message } : {}),
    primal: r.primal ? Object.fromEntries(Array.from(r.primal, (v, j) => [colName(lp, j), v])) : null,
  };
}

/** `rho lp solve FILE`: parse CPLEX LP text, solve it, print status, objective and time. */
export async function lpSolve(file: string, opts: LpSolveOptions, out: Output): Promise<number> {
  const lp = await readProgram(file);
  let solver: LpSolver;
  try {
    solver = await getSolver(opts.solver);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let r: LpResult;
  try {
    r = await solver.solve(lp, opts.timeLimit !== undefined ? { timeLimit: opts.timeLimit } : {});
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  if (opts.json) out.json({ file, columns: lp.numCols, rows: lp.rows.count, ...resultJson(lp, r) });
  else {
    out.line(`status:     ${r.status}${r.message ? ` (${r.message})` : ""}`);
    if (r.objective !== undefined) out.line(`objective:  ${r.objective}`);
    out.line(`seconds:    ${r.seconds.toFixed(4)}`);
    if (r.iterations !== undefined) out.line(`iterations: ${r.iterations}`);
    out.line(`solver:     ${r.solver} (${lp.numCols} columns, ${lp.rows.count} rows)`);
  }
  return r.status === "optimal" ? EXIT_OK : EXIT_NOT_OK;
}
