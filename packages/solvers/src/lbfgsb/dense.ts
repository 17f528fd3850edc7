// Small dense linear algebra for L-BFGS-B's 2m × 2m middle matrices (m ≤ ~20): row-major
// Float64Array matrices, Gaussian elimination with partial pivoting.

/** Solves A x = b in place of a copy; returns undefined when A is (numerically) singular. */
export function solveDense(a: Float64Array, b: Float64Array, n: number): Float64Array | undefined {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(m[r * n + col] as number) > Math.abs(m[piv * n + col] as number)) piv = r;
    const p = m[piv * n + col] as number;
    if (!(Math.abs(p) > 1e-300) || !Number.isFinite(p)) return undefined;
    if (piv !== col) {
      for (let k = 0; k < n; k++) {
        const t = m[col * n + k] as number;
        m[col * n + k] = m[piv * n + k] as number;
        m[piv * n + k] = t;
      }
      const t = x[col] as number;
      x[col] = x[piv] as number;
      x[piv] = t;
    }
    for (let r = col + 1; r < n; r++) {
      const f = (m[r * n + col] as number) / p;
      if (f === 0) continue;
      for (let k = col; k < n; k++) m[r * n + k] = (m[r * n + k] as number) - f * (m[col * n + k] as number);
      x[r] = (x[r] as number) - f * (x[col] as number);
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r] as number;
    for (let k = r + 1; k < n; k++) s -= (m[r * n + k] as number) * (x[k] as number);
    x[r] = s / (m[r * n + r] as number);
  }
  return x;
}

/** y = A x for a row-major n × n matrix. */
export function matVec(a: Float64Array, x: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += (a[r * n + k] as number) * (x[k] as number);
    y[r] = s;
  }
  return y;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
