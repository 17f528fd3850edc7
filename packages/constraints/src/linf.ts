import type { LinearProgram, RowBatch } from "./linear-program.js";

/** ‖a − b‖∞: the L∞ distance every ρ, ρ̂ and bound in rho is measured in. */
export function linf(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/**
 * The rows |x_i − center_i| ≤ t of an L∞ ball, two per coordinate (x_i − t ≤ center_i and
 * x_i + t ≥ center_i), over columns pixelCol(i) and t.
 */
export function linfBallRows(
  center: ArrayLike<number>,
  pixelCol: (i: number) => number,
  t: number,
): RowBatch {
  const n = center.length;
  const starts = Int32Array.from({ length: 2 * n + 1 }, (_, r) => 2 * r);
  const indices = new Int32Array(4 * n);
  const values = new Float64Array(4 * n);
  const lower = new Float64Array(2 * n);
  const upper = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const c = center[i] as number;
    const p = pixelCol(i);
    indices.set([p, t, p, t], 4 * i);
    values.set([1, -1, 1, 1], 4 * i);
    lower[2 * i] = Number.NEGATIVE_INFINITY;
    upper[2 * i] = c;
    lower[2 * i + 1] = c;
    upper[2 * i + 1] = Number.POSITIVE_INFINITY;
  }
  return { count: 2 * n, starts, indices, values, lower, upper };
}

/**
 * min t over columns [x_0 … x_{n−1}, t] with x in the box, 0 ≤ t ≤ maxT and ‖x − center‖∞ ≤ t:
 * the distance part of every robustness LP; callers append the rows that say where x must be.
 * A finite `maxT` looks only that far: presolve then bounds every x to the ball, which settles a
 * program with no point that close from its rows' bounds, often before any simplex iteration.
 */
export function minLinfProgram(
  center: ArrayLike<number>,
  box: readonly [number, number],
  maxT = Number.POSITIVE_INFINITY,
): LinearProgram {
  const n = center.length;
  const objective = new Float64Array(n + 1);
  objective[n] = 1;
  const colLower = new Float64Array(n + 1).fill(box[0]);
  const colUpper = new Float64Array(n + 1).fill(box[1]);
  colLower[n] = 0;
  colUpper[n] = maxT;
  return {
    numCols: n + 1,
    sense: "min",
    objective,
    objectiveOffset: 0,
    colLower,
    colUpper,
    rows: linfBallRows(center, (i) => i, n),
  };
}
