import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { denseKernelsWasm } from "../scripts/build-wasm.mjs";
import {
  addWeightedRows,
  addWeightedRowsSimd,
  SIMD_MIN_ENTRIES,
  setSimdBudget,
  simdAvailable,
} from "../src/dense-product.js";
import { DENSE_SIMD_WASM } from "../src/dense-simd-bytes.js";

/** The JavaScript loop the kernel must reproduce bit for bit: four nonzero rows a pass, then one. */
function reference(out: Float64Array, w: ArrayLike<number>, width: number, a: Float64Array): void {
  const nz: number[] = [];
  for (let o = 0; o < a.length; o++) if ((a[o] as number) !== 0) nz.push(o);
  let k = 0;
  for (; k + 3 < nz.length; k += 4) {
    const [o0, o1, o2, o3] = nz.slice(k, k + 4) as [number, number, number, number];
    for (let i = 0; i < width; i++)
      out[i] =
        (out[i] as number) +
        ((a[o0] as number) * (w[o0 * width + i] as number) +
          (a[o1] as number) * (w[o1 * width + i] as number) +
          (a[o2] as number) * (w[o2 * width + i] as number) +
          (a[o3] as number) * (w[o3 * width + i] as number));
  }
  for (; k < nz.length; k++) {
    const o = nz[k] as number;
    for (let i = 0; i < width; i++)
      out[i] = (out[i] as number) + (a[o] as number) * (w[o * width + i] as number);
  }
}

/** A product large enough for the kernel: rows × width ≥ SIMD_MIN_ENTRIES, odd widths too. */
const arbProduct = fc
  .record({
    rows: fc.integer({ min: 1, max: 70 }),
    width: fc.integer({ min: 1, max: 140 }),
    f32: fc.boolean(),
    zeros: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.integer(),
  })
  .map(({ rows, width, f32, zeros, seed }) => {
    // grown until large enough, keeping the drawn aspect
    const scale = Math.ceil(Math.sqrt(SIMD_MIN_ENTRIES / (rows * width)));
    const r = rows * Math.max(1, scale);
    const c = width * Math.max(1, scale) + (width % 2);
    let s = seed >>> 0 || 1;
    const next = () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return ((s >>> 0) / 2 ** 32) * 2 - 1;
    };
    const w = f32 ? Float32Array.from({ length: r * c }, next) : Float64Array.from({ length: r * c }, next);
    const a = Float64Array.from({ length: r }, () => (Math.abs(next()) < zeros ? 0 : next() * 1e3));
    const out = Float64Array.from({ length: c }, next);
    return { w, width: c, a, out };
  });

describe("the dense kernels in WebAssembly SIMD", () => {
  it("are the committed bytes of the text in scripts/build-wasm.mjs", async () => {
    const bytes = await denseKernelsWasm();
    expect(Buffer.from(bytes).toString("base64")).toBe(DENSE_SIMD_WASM);
  });

  it("run on this Node", () => {
    expect(simdAvailable()).toBe(true);
  });

  it("give the JavaScript loop's bits for float64 and float32 weights, any zeros, odd widths", () => {
    fc.assert(
      fc.property(arbProduct, ({ w, width, a, out }) => {
        const want = Float64Array.from(out);
        reference(want, w, width, a);
        const got = Float64Array.from(out);
        expect(addWeightedRowsSimd(got, w, width, a)).toBe(true);
        expect(Array.from(got)).toEqual(Array.from(want));
      }),
      { numRuns: 60 },
    );
  });

  it("stay right when the kept copies are dropped for want of room", () => {
    const samples = fc.sample(arbProduct, { numRuns: 6, seed: 7 });
    const largest = Math.max(...samples.map((p) => p.w.byteLength));
    // room for about two matrices: cycling through six drops and recopies them
    setSimdBudget(2 * largest + 64);
    try {
      for (let round = 0; round < 3; round++)
        for (const { w, width, a, out } of samples) {
          const want = Float64Array.from(out);
          reference(want, w, width, a);
          const got = Float64Array.from(out);
          expect(addWeightedRowsSimd(got, w, width, a)).toBe(true);
          expect(Array.from(got)).toEqual(Array.from(want));
        }
      // a matrix beyond the budget is left to the caller's loop, its output untouched
      const big = new Float64Array(Math.ceil((2 * largest + 64) / 8) + 16);
      const out = new Float64Array(16).fill(1);
      expect(addWeightedRowsSimd(out, big, 16, new Float64Array(big.length / 16).fill(1))).toBe(false);
      expect(Array.from(out)).toEqual(new Array(16).fill(1));
    } finally {
      setSimdBudget(256 * 2 ** 20);
    }
  });

  it("leave small products to the caller", () => {
    const out = new Float64Array(4);
    expect(addWeightedRowsSimd(out, new Float64Array(16), 4, new Float64Array(4).fill(1))).toBe(false);
  });

  it("and addWeightedRows gives the same bits at every size, in WebAssembly or not", () => {
    const small = fc.record({
      rows: fc.integer({ min: 1, max: 11 }),
      width: fc.integer({ min: 1, max: 9 }),
      f32: fc.boolean(),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          arbProduct,
          small.map(({ rows, width, f32, seed }) => {
            const r = (seed >>> 0) / 2 ** 32;
            const values = Array.from({ length: rows * width }, (_, i) => Math.sin(i + r * 7));
            const w = f32 ? Float32Array.from(values) : Float64Array.from(values);
            const a = Float64Array.from({ length: rows }, (_, o) => (o % 3 === 1 ? 0 : Math.cos(o * r + 1)));
            return { w, width, a, out: Float64Array.from({ length: width }, (_, i) => i * r) };
          }),
        ),
        ({ w, width, a, out }) => {
          const want = Float64Array.from(out);
          reference(want, w, width, a);
          const got = Float64Array.from(out);
          addWeightedRows(got, w, width, a);
          expect(Array.from(got)).toEqual(Array.from(want));
        },
      ),
      { numRuns: 80 },
    );
  });
});
