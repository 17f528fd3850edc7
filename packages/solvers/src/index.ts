export * from "./errors.js";
export { createGlpkSolver } from "./glpk.js";
export { createHighsSolver } from "./highs.js";
export {
  batchSource,
  type IterativeOptions,
  type IterativeResult,
  type RowOracle,
  RowPool,
  type RowPoolOptions,
  type RowSource,
  solveIteratively,
  withAllRows,
} from "./iterative.js";
export { createJslpSolver } from "./jslp.js";
export {
  type LbfgsbOptions,
  type LbfgsbOutcome,
  type LbfgsbResult,
  lbfgsb,
  type Objective,
} from "./lbfgsb/lbfgsb.js";
export { getSolver, registerSolver, type SolverEntry, solverEntries, solverNames } from "./registry.js";
export { RebuildSession } from "./session.js";
export * from "./types.js";
export { DEFAULT_FEASIBILITY_TOLERANCE, findViolation, objectiveAt } from "./verify.js";
