// The two products a dense layer's bounds spend their time in, written for V8: weight rows taken
// four at a time, so each pass over the output (or the input) reads and writes it once per four
// rows instead of once per row (with the other changes of 2026-12-07 afternoon, branch and bound
// runs the same searches in less than half the time: benchmarks/verify/README.md). The sums are
// the same up to the order of float64 additions; the bounds' float64 slack (1e-9 of their mass)
// covers any order.

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

/** y = W·x + c, W row-major (rows = y's length, `x.length` columns): a dense layer's forward pass. */
export function matVec(w: ArrayLike<number>, x: Float64Array, c: ArrayLike<number>): Float64Array {
  const n = x.length;
  const rows = c.length;
  const y = new Float64Array(rows);
  let o = 0;
  for (; o + 3 < rows; o += 4) {
    const s0 = o * n;
    const s1 = s0 + n;
    const s2 = s1 + n;
    const s3 = s2 + n;
    let y0 = 0;
    let y1 = 0;
    let y2 = 0;
    let y3 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i] as number;
      y0 += (w[s0 + i] as number) * xi;
      y1 += (w[s1 + i] as number) * xi;
      y2 += (w[s2 + i] as number) * xi;
      y3 += (w[s3 + i] as number) * xi;
    }
    y[o] = y0 + (c[o] as number);
    y[o + 1] = y1 + (c[o + 1] as number);
    y[o + 2] = y2 + (c[o + 2] as number);
    y[o + 3] = y3 + (c[o + 3] as number);
  }
  for (; o < rows; o++) {
    const s = o * n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (w[s + i] as number) * (x[i] as number);
    y[o] = v + (c[o] as number);
  }
  return y;
}
