// Moved to src/testing/ (exported as @rho/attacks/testing).
export * from "../src/testing/linear.js";
