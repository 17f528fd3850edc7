// Small programs with known answers, shared by the conformance suite and the iterative tests.
import { type LinearProgram, type RowBatch, selectRows } from "@rho/constraints";
import fc from "fast-check";

const inf = Number.POSITIVE_INFINITY;

export function lp(p: {
  sense?: "min" | "max";
  c: number[];
  offset?: number;
  lo: number[];
  hi: number[];
  rows?: { a: number[]; lo: number; hi: number }[];
  integer?: number[];
}): LinearProgram {
  const rows = p.rows ?? [];
  const starts = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const r of rows) {
    r.a.forEach((w, j) => {
      if (w !== 0) {
        indices.push(j);
        values.push(w);
      }
    });
    starts.push(indices.length);
  }
  return {
    numCols: p.c.length,
    sense: p.sense ?? "min",
    objective: Float64Array.from(p.c),
    objectiveOffset: p.offset ?? 0,
    colLower: Float64Array.from(p.lo),
    colUpper: Float64Array.from(p.hi),
    ...(p.integer ? { integer: Uint8Array.from(p.integer) } : {}),
    rows: {
      count: rows.length,
      starts: Int32Array.from(starts),
      indices: Int32Array.from(indices),
      values: Float64Array.from(values),
      lower: Float64Array.from(rows.map((r) => r.lo)),
      upper: Float64Array.from(rows.map((r) => r.hi)),
    },
  };
}

/** min x + y s.t. x + 2y ≥ 4, 3x + y ≥ 6, −10 ≤ x, y ≤ 10: optimum 2.8 at (1.6, 1.2), plus offset. */
export const twoByTwo = lp({
  c: [1, 1],
  offset: 1,
  lo: [-10, -10],
  hi: [10, 10],
  rows: [
    { a: [1, 2], lo: 4, hi: inf },
    { a: [3, 1], lo: 6, hi: inf },
  ],
});

// Decimals on a 0.01 grid: widths are 0 or at least 0.01, never at solver-tolerance scale.
const decimal = (min: number, max: number) =>
  fc.integer({ min: min * 100, max: max * 100 }).map((v) => v / 100);

/**
 * A random LP that is feasible by construction: rows are built around a point x0 inside the
 * column bounds. With `free` > 0 that many leading columns are unbounded (and, when `unbounded`,
 * given a cost but kept out of every row, so the LP is unbounded).
 */
export function arbFeasibleLp(opts: {
  maxCols: number;
  maxRows: number;
  free?: boolean;
  unbounded?: boolean;
}) {
  return fc
    .record({ n: fc.integer({ min: 1, max: opts.maxCols }), m: fc.integer({ min: 0, max: opts.maxRows }) })
    .chain(({ n, m }) =>
      fc.record({
        n: fc.constant(n),
        sense: fc.constantFrom<"min" | "max">("min", "max"),
        c: fc.array(fc.integer({ min: -9, max: 9 }), { minLength: n, maxLength: n }),
        offset: fc.integer({ min: -5, max: 5 }),
        x0: fc.array(decimal(-5, 5), { minLength: n, maxLength: n }),
        slack: fc.array(fc.tuple(decimal(0, 3), decimal(0, 3)), {
          minLength: n,
          maxLength: n,
        }),
        rows: fc.array(
          fc.record({
            a: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: -6, max: 6 })), {
              minLength: n,
              maxLength: n,
            }),
            below: fc.oneof(fc.constant(inf), decimal(0, 4)),
            above: fc.oneof(fc.constant(inf), decimal(0, 4)),
          }),
          { minLength: m, maxLength: m },
        ),
      }),
    )
    .map(({ sense, c, offset, x0, slack, rows }) => {
      const freeCol = opts.free || opts.unbounded ? 0 : -1;
      if (opts.unbounded && c[0] === 0) c[0] = 1;
      return lp({
        sense,
        c,
        offset,
        lo: x0.map((v, j) => (j === freeCol ? -inf : v - slack[j]![0])),
        hi: x0.map((v, j) => (j === freeCol ? inf : v + slack[j]![1])),
        rows: rows.map((r) => {
          const a = opts.unbounded ? r.a.map((w, j) => (j === 0 ? 0 : w)) : r.a;
          const ax = a.reduce((s, w, j) => s + w * x0[j]!, 0);
          return { a, lo: ax - r.below, hi: ax + r.above };
        }),
      });
    });
}

/** Rows [from, to) of a batch, as a batch of their own. */
export const sliceRows = (r: RowBatch, from: number, to: number): RowBatch =>
  selectRows(
    r,
    Array.from({ length: to - from }, (_, i) => from + i),
  );

/**
 * A dense feasible LP big enough that no solver finishes it within a millisecond:
 * max Σ x s.t. m random rows a·x ≤ 1 + a·x0 around x0 = 0.1, 0 ≤ x ≤ 1.
 */
export function denseLp(n: number, m: number): LinearProgram {
  let seed = 7;
  const rand = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  return lp({
    sense: "max",
    c: new Array<number>(n).fill(1),
    lo: new Array<number>(n).fill(0),
    hi: new Array<number>(n).fill(1),
    rows: Array.from({ length: m }, () => {
      const a = Array.from({ length: n }, () => rand() * 2 - 0.5);
      return { a, lo: -inf, hi: 1 + 0.1 * a.reduce((s, w) => s + w, 0) };
    }),
  });
}
