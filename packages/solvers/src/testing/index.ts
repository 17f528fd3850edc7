// What a solver adapter's own tests need: `solverConformance(create)` runs every check rho's
// built-in solvers pass (known optima, vertex-enumeration references, infeasible and unbounded
// detection, sessions, time limits, huge values, malformed input, MILP or its refusal).
export { solverConformance } from "./conformance.js";
export { arbFeasibleLp, denseLp, lp, sliceRows, twoByTwo } from "./programs.js";
export { integerEnumeration, type Reference, vertexEnumeration } from "./reference.js";
