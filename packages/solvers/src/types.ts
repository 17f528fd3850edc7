import type { LinearProgram, RowBatch } from "@rho/constraints";

/** How a solve ended. Only "optimal" carries a primal solution that rho has checked. */
export type LpStatus =
  | "optimal"
  | "infeasible"
  | "unbounded"
  | "infeasible_or_unbounded"
  | "time_limit"
  | "iteration_limit"
  | "error";

export interface LpResult {
  readonly status: LpStatus;
  readonly solver: string;
  /** c·x + offset at the returned primal; present when status is "optimal". */
  readonly objective?: number;
  /** Primal values by column; present when status is "optimal". */
  readonly primal?: Float64Array;
  /** Wall-clock seconds spent in the solver call. */
  readonly seconds: number;
  /** Simplex iterations (or the solver's own count) where it reports them. */
  readonly iterations?: number;
  /** Why the solve ended the way it did, for anything other than "optimal". */
  readonly message?: string;
  /**
   * MILPs, where the solver reports it: its proven bound on the optimum (below it when
   * minimising), also when it stopped at a time limit. The optimum lies between it and `objective`.
   */
  readonly bound?: number;
}

export interface SolveOptions {
  /** Wall-clock limit in seconds; needs `capabilities.timeLimit`. */
  readonly timeLimit?: number;
  /** Absolute feasibility tolerance used to check the solver's answer (default 1e-6, scaled by row size). */
  readonly feasibilityTolerance?: number;
  /**
   * What a MILP's time goes to. "bound": proving the optimum (branch and bound, cuts) rather than
   * hunting incumbents with primal heuristics — for MILPs whose LP relaxation rarely rounds to a
   * feasible point, such as a network's big-M encoding, where the heuristics' sub-MIPs can spend
   * the whole time limit at the root. Solvers without the distinction ignore it.
   */
  readonly mipFocus?: "balanced" | "bound";
  /**
   * The LP algorithm: "simplex" (default) or "interior" (an interior point method, then crossover
   * to a vertex; needs `capabilities.interiorPoint`). The optimum is the same; which is faster
   * depends on the LP (benchmarks/alp/README.md). In a session, "interior" solves from scratch
   * only where many rows came since the last solve; a round that added few starts the dual
   * simplex from the last basis instead (solvers may do so: HiGHS does, `WARM_ROWS_PER_COLUMN` in highs.ts).
   */
  readonly method?: "simplex" | "interior";
  /**
   * The solver's own options by its names (HiGHS: `simplex_scale_strategy`, `presolve`, …), set
   * as given, for measuring settings; solvers without named options ignore them.
   */
  readonly solverOptions?: Readonly<Record<string, string | number | boolean>>;
}

export interface SolverCapabilities {
  /** Re-solving a session after `addRows` starts from the previous basis. */
  readonly warmStart: boolean;
  /** Integer columns are supported (MILP). */
  readonly mip: boolean;
  /** `SolveOptions.timeLimit` is honoured. */
  readonly timeLimit: boolean;
  /** `SolveOptions.method` "interior" is available. */
  readonly interiorPoint: boolean;
}

/** An LP whose rows can grow between solves (the loop of iterative constraint solving). */
export interface LpSession {
  readonly numRows: number;
  addRows(rows: RowBatch): void;
  solve(): Promise<LpResult>;
  /** Frees solver memory (the highs WebAssembly heap is not garbage-collected). */
  dispose(): void;
}

export interface LpSolver {
  readonly name: string;
  readonly capabilities: SolverCapabilities;
  solve(lp: LinearProgram, opts?: SolveOptions): Promise<LpResult>;
  session(lp: LinearProgram, opts?: SolveOptions): LpSession;
}

export const supportsWarmStart = (s: LpSolver): boolean => s.capabilities.warmStart;
export const supportsMip = (s: LpSolver): boolean => s.capabilities.mip;
export const supportsTimeLimit = (s: LpSolver): boolean => s.capabilities.timeLimit;
export const supportsInteriorPoint = (s: LpSolver): boolean => s.capabilities.interiorPoint;
