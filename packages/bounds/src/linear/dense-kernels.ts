// The products a dense layer's bounds spend their time in. λᵀW (a row carried back) is models'
// addWeightedRows: weight rows four at a time, rows with a zero coefficient skipped, in WebAssembly
// SIMD for a large matrix (the same bits). W·x runs by columns, from W's transpose (made once),
// so that the zeros of x are skipped too: in α-CROWN's relaxed forward pass the units the
// relaxation switches off are zero, often most of a layer (benchmarks/verify/README.md,
// 2026-12-07, evening). The sums are the same up to the order of float64 additions; the bounds'
// float64 slack (1e-9 of their mass) covers any order.
import { addWeightedRows } from "@rho/models/core";

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
 * most of a layer, and those columns are skipped. Written into `y` when given.
 */
export function matVecSparse(
  wT: Float64Array,
  x: Float64Array,
  c: Float64Array,
  y: Float64Array = new Float64Array(c.length),
): Float64Array {
  y.set(c);
  addWeightedRows(y, wT, c.length, x);
  return y;
}
