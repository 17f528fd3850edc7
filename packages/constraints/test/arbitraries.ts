// The arbitraries moved to src/testing.ts (exported as @rho/constraints/testing).
export * from "../src/testing.js";
