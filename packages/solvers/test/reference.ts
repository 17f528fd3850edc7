// Moved to src/testing/ (exported as @rho/solvers/testing).
export * from "../src/testing/reference.js";
