import type { LinearProgram, RowBatch } from "@rho/constraints";
import type { LinearRegion } from "@rho/encoders";
import type { IterativeResult, LpResult, LpSolver } from "@rho/solvers";

/** How an LP over a linear region is solved (the attacks' LP options, defaults filled in). */
export interface RegionLpOptions {
  readonly solver: LpSolver;
  /** Iterative constraint solving (true) or every region row up front. */
  readonly iterative: boolean;
  /** Region rows in the first LP; "auto": the formulation's choice. */
  readonly seed: "auto" | "tight" | "none";
  /** At most this many rows added a round; absent: the formulation's choice. */
  readonly rowsPerRound?: number;
  readonly timeLimit?: number;
  readonly formulation: FormulationName;
  /** The LP algorithm; "auto": the formulation's choice. */
  readonly method: "auto" | "simplex" | "interior";
  /** The LP solver's own options (`lpOptions`). */
  readonly solverOptions?: Readonly<Record<string, string | number | boolean>>;
}

/** The per-solve options these LP options ask for; `auto` is the formulation's choice of method for "auto". */
export const solveOptions = (o: RegionLpOptions, auto: "simplex" | "interior" = "simplex") => ({
  method: o.method === "auto" ? auto : o.method,
  ...(o.timeLimit !== undefined ? { timeLimit: o.timeLimit } : {}),
  ...(o.solverOptions ? { solverOptions: o.solverOptions } : {}),
});

export type FormulationName = "pixels" | "hidden" | "auto";

export interface RegionSolve {
  readonly result: LpResult;
  /** LP solves (rounds of iterative constraint solving). */
  readonly rounds: number;
  /** Region inequalities in the final LP, as rows or as column bounds. */
  readonly regionRowsUsed: number;
  /** Seconds inside the LP solver over all rounds (the rest of a solve builds and checks rows). */
  readonly solverSeconds: number;
  /** Simplex iterations over all rounds, where the solver reports them. */
  readonly iterations?: number;
}

/**
 * One way to write an LP over x*'s linear region: over the pixels alone (the region's
 * inequalities composed through the network into dense rows), or over hidden variables (every
 * mixing layer's outputs as columns, the region as column bounds and sparse rows). Both have the
 * same feasible set over the pixels, hence the same optimum; they differ in what the solver pays.
 *
 * Columns: the pixels 0..n−1, then the caller's `reserved` columns (ALP's t, the walk's margin),
 * then the formulation's own. A new formulation is one module implementing this.
 */
export interface RegionFormulation {
  readonly name: Exclude<FormulationName, "auto">;
  readonly region: LinearRegion;
  /**
   * C_out(target) on the region: z_target − z_j ≥ margin for every j ≠ target, as rows over this
   * formulation's columns; with `slack` (a reserved column), z_target − z_j − slack ≥ margin.
   */
  targetRows(target: number, margin: number, slack?: number): RowBatch;
  /**
   * Optimises `base` (over the pixels and the reserved columns; the formulation adds its own)
   * within the region, by iterative constraint solving from the rows tight at x* or with every
   * region row at once. The primal's first n values are the pixels.
   */
  solve(base: LinearProgram, o: RegionLpOptions): Promise<RegionSolve>;
}

/** The solver's share of a one-shot solve. */
export const spent = (r: LpResult): Pick<RegionSolve, "solverSeconds" | "iterations"> => ({
  solverSeconds: r.seconds,
  ...(r.iterations !== undefined ? { iterations: r.iterations } : {}),
});

/** The solver's share of an iterative solve. */
export const spentIn = (it: IterativeResult): Pick<RegionSolve, "solverSeconds" | "iterations"> => ({
  solverSeconds: it.solverSeconds,
  ...(it.iterations !== undefined ? { iterations: it.iterations } : {}),
});
