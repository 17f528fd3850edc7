// Moved to src/testing/ (exported as @rho/solvers/testing).
export * from "../src/testing/programs.js";

import type { LinearProgram } from "@rho/constraints";

// max Σ v·x s.t. Σ w·x ≤ cap, x ∈ {0,1}: a knapsack, written as a minimisation
export const knapsack = (n: number, seed: number): LinearProgram => {
  let s = seed;
  const r = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 100 + 1;
  };
  const w = Array.from({ length: n }, r);
  const v = Array.from({ length: n }, r);
  return {
    numCols: n,
    sense: "min",
    objective: Float64Array.from(v, (x) => -x),
    objectiveOffset: 0,
    colLower: new Float64Array(n),
    colUpper: new Float64Array(n).fill(1),
    integer: new Uint8Array(n).fill(1),
    rows: {
      count: 1,
      starts: Int32Array.of(0, n),
      indices: Int32Array.from({ length: n }, (_, i) => i),
      values: Float64Array.from(w),
      lower: Float64Array.of(Number.NEGATIVE_INFINITY),
      upper: Float64Array.of(w.reduce((a, b) => a + b, 0) / 3),
    },
  };
};

/**
 * A market-split problem (Cornuéjols & Dawande): m equality rows over n = 10(m − 1) 0/1 columns
 * with coefficients in [0, 99] and right-hand sides of half the row sums, which branch and bound
 * takes exponentially long to settle: a MILP that reaches any small time limit.
 */
export const marketSplit = (m: number, seed: number): LinearProgram => {
  const n = 10 * (m - 1);
  let s = seed;
  const r = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.floor((s / 2147483648) * 100);
  };
  const a = Array.from({ length: m }, () => Array.from({ length: n }, r));
  const half = a.map((row) => Math.floor(row.reduce((x, y) => x + y, 0) / 2));
  return {
    numCols: n,
    sense: "min",
    objective: new Float64Array(n),
    objectiveOffset: 0,
    colLower: new Float64Array(n),
    colUpper: new Float64Array(n).fill(1),
    integer: new Uint8Array(n).fill(1),
    rows: {
      count: m,
      starts: Int32Array.from({ length: m + 1 }, (_, i) => i * n),
      indices: Int32Array.from({ length: m * n }, (_, i) => i % n),
      values: Float64Array.from(a.flat()),
      lower: Float64Array.from(half),
      upper: Float64Array.from(half),
    },
  };
};
