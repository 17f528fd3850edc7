// The products a dense layer's bounds spend their time in, written for V8: weight rows taken
// four at a time, so each pass over the output reads and writes it once per four rows instead of
// once per row, rows with a zero coefficient skipped. W·x runs by columns, from W's transpose
// (made once), so that the zeros of x are skipped too: in α-CROWN's relaxed forward pass the
// units the relaxation switches off are zero, often most of a layer (benchmarks/verify/README.md,
// 2026-12-07, evening). The sums are the same up to the order of float64 additions; the bounds'
// float64 slack (1e-9 of their mass) covers any order. Where WebAssembly SIMD runs, a large
// matrix's products run there (models' dense-simd.ts), the same sums in the same order.
import { addWeightedRowsSimd } from "@rho/models/core";

/**
 * out += Σ_o a[o]·W[o, ·] over the rows o with a[o] ≠ 0, W row-major with `width` columns: a row
 * vector carried back through a dense layer (λᵀW).
 */
export function addWeightedRows(
  out: Float64Array,
  w: ArrayLike<number>,
  width: number,
  a: Float64Array,
): void {
  if (w instanceof Float64Array && addWeightedRowsSimd(out, w, width, a)) return;
  addWeightedRowsJs(out, w, width, a);
}

/** addWeightedRows in JavaScript alone (the loops the WebAssembly kernel reproduces). */
export function addWeightedRowsJs(
  out: Float64Array,
  w: ArrayLike<number>,
  width: number,
  a: Float64Array,
): void {
  const nz: number[] = [];
  for (let o = 0; o < a.length; o++) if ((a[o] as number) !== 0) nz.push(o);
  let k = 0;
  for (; k + 3 < nz.length; k += 4) {
    const o0 = nz[k] as number;
    const o1 = nz[k + 1] as number;
    const o2 = nz[k + 2] as number;
    const o3 = nz[k + 3] as number;
    const a0 = a[o0] as number;
    const a1 = a[o1] as number;
    const a2 = a[o2] as number;
    const a3 = a[o3] as number;
    const s0 = o0 * width;
    const s1 = o1 * width;
    const s2 = o2 * width;
    const s3 = o3 * width;
    for (let i = 0; i < width; i++)
      out[i] =
        (out[i] as number) +
        (a0 * (w[s0 + i] as number) +
          a1 * (w[s1 + i] as number) +
          a2 * (w[s2 + i] as number) +
          a3 * (w[s3 + i] as number));
  }
  for (; k < nz.length; k++) {
    const o = nz[k] as number;
    const ao = a[o] as number;
    const s = o * width;
    for (let i = 0; i < width; i++) out[i] = (out[i] as number) + ao * (w[s + i] as number);
  }
}

/** Each row-major matrix's transpose (input-major), made once: W·x by columns. */
const transposes = new WeakMap<Float64Array, Float64Array>();

/** The transpose of the row-major `rows` × (w.length / rows) matrix w, kept while w lives. */
export function transposed(w: Float64Array, rows: number): Float64Array {
  const kept = transposes.get(w);
  if (kept) return kept;
  const cols = w.length / rows;
  const t = new Float64Array(w.length);
  for (let o = 0; o < rows; o++) for (let i = 0; i < cols; i++) t[i * rows + o] = w[o * cols + i] as number;
  transposes.set(w, t);
  return t;
}

/**
 * y = W·x + c as c + Σ x_i·W[·, i] over the inputs x_i ≠ 0 (W row-major, given with its transpose
 * wT): a relaxed forward pass's input is zero at every unit the relaxation switches off, often
 * most of a layer, and those columns are skipped.
 */
export function matVecSparse(wT: Float64Array, x: Float64Array, c: Float64Array): Float64Array {
  const y = Float64Array.from(c);
  addWeightedRows(y, wT, c.length, x);
  return y;
}
