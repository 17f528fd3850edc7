import { concatRows, type LinearProgram, type RowBatch } from "@rho/constraints";
import type { LpResult, LpSession, LpSolver, SolveOptions } from "./types.js";

/**
 * The copy-to construction path (MathOptInterface's term): keep the program in rho's own form,
 * append rows there, and hand the whole program to the solver on every solve. For solvers
 * without a persistent model; no warm start.
 */
export class RebuildSession implements LpSession {
  private lp: LinearProgram;
  constructor(
    private readonly solver: Pick<LpSolver, "solve">,
    lp: LinearProgram,
    private readonly opts: SolveOptions = {},
  ) {
    this.lp = lp;
  }
  get numRows(): number {
    return this.lp.rows.count;
  }
  addRows(rows: RowBatch): void {
    this.lp = { ...this.lp, rows: concatRows(this.lp.rows, rows) };
  }
  solve(): Promise<LpResult> {
    return this.solver.solve(this.lp, this.opts);
  }
  dispose(): void {}
}
