// The dense kernels compute the same products as one row at a time, up to the order of float64
// additions: within a few ulps of the sum of magnitudes, for any shape (rows in fours and a
// remainder) and any zeros among the coefficients (skipped rows).

import { addWeightedRows } from "@rho/models/core";
import fc from "fast-check";
import { expect, it } from "vitest";
import { matVecSparse, transposed } from "../src/linear/dense-kernels.js";

const values = (n: number) =>
  fc.array(fc.oneof(fc.constant(0), fc.double({ min: -4, max: 4, noNaN: true })), {
    minLength: n,
    maxLength: n,
  });

const shape = fc
  .tuple(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 9 }))
  .chain(([rows, width]) =>
    fc.tuple(fc.constant(rows), fc.constant(width), values(rows * width), values(rows), values(width)),
  );

it("addWeightedRows adds Σ a[o]·W[o, ·] to what is there", () => {
  fc.assert(
    fc.property(shape, ([rows, width, w, a, start]) => {
      const out = Float64Array.from(start);
      addWeightedRows(out, w, width, Float64Array.from(a));
      for (let i = 0; i < width; i++) {
        let want = start[i] as number;
        let mass = Math.abs(want);
        for (let o = 0; o < rows; o++) {
          const t = (a[o] as number) * (w[o * width + i] as number);
          want += t;
          mass += Math.abs(t);
        }
        expect(Math.abs((out[i] as number) - want)).toBeLessThanOrEqual(1e-14 * (1 + mass));
      }
    }),
  );
});

it("matVecSparse, from the transpose, is W·x + c (zeros of x skipped, nothing else)", () => {
  fc.assert(
    fc.property(shape, ([rows, width, w, c, x]) => {
      const weights = Float64Array.from(w);
      const wT = transposed(weights, rows);
      // made once per matrix
      expect(transposed(weights, rows)).toBe(wT);
      const y = matVecSparse(wT, Float64Array.from(x), Float64Array.from(c));
      expect(y.length).toBe(rows);
      for (let o = 0; o < rows; o++) {
        let want = c[o] as number;
        let mass = Math.abs(want);
        for (let i = 0; i < width; i++) {
          const t = (w[o * width + i] as number) * (x[i] as number);
          want += t;
          mass += Math.abs(t);
        }
        expect(Math.abs((y[o] as number) - want)).toBeLessThanOrEqual(1e-14 * (1 + mass));
      }
    }),
  );
});
