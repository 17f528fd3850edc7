/** Sparse rows Σ_k values[k]·x[indices[k]] in compressed sparse row form. */
export interface SparseRowsLike {
  readonly count: number;
  readonly starts: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/**
 * Every row's activity a·x and its magnitude, the largest |term| (what tolerances scale by, so
 * that large coefficients do not turn round-off into violations), written at `offset` of the
 * output arrays. The one loop behind feasibility checks, violated-row searches and region tests.
 */
export function rowActivities(
  rows: SparseRowsLike,
  x: ArrayLike<number>,
  activity: Float64Array,
  magnitude: Float64Array,
  offset = 0,
): void {
  const { count, starts, indices, values } = rows;
  for (let r = 0; r < count; r++) {
    let s = 0;
    let m = 0;
    for (let k = starts[r] as number; k < (starts[r + 1] as number); k++) {
      const t = (values[k] as number) * (x[indices[k] as number] as number);
      s += t;
      m = Math.max(m, Math.abs(t));
    }
    activity[offset + r] = s;
    magnitude[offset + r] = m;
  }
}

/**
 * By how much x violates each row's bounds, in units of the row's magnitude (at least 1):
 * max(lower − a, a − upper) / max(1, |largest term|); ≤ 0 where the row holds.
 */
export function rowViolations(
  rows: SparseRowsLike & { readonly lower: Float64Array; readonly upper: Float64Array },
  x: ArrayLike<number>,
): Float64Array {
  const a = new Float64Array(rows.count);
  const m = new Float64Array(rows.count);
  rowActivities(rows, x, a, m);
  for (let r = 0; r < rows.count; r++) {
    const v = Math.max(
      (rows.lower[r] as number) - (a[r] as number),
      (a[r] as number) - (rows.upper[r] as number),
    );
    a[r] = v / Math.max(1, m[r] as number);
  }
  return a;
}
