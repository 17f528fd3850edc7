// The arbitraries moved to src/testing.ts (exported as @rho/models/testing).
export * from "../src/testing.js";
