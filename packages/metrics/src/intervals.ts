/** A point estimate with a two-sided confidence interval. */
export interface Estimate {
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
}

/** The standard normal quantile for a two-sided interval (0.95 → 1.959964…), by Acklam's rational approximation. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability ${p} is not in (0, 1)`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const poly = (k: number[], x: number) => k.reduce((s, v) => s * x + v, 0);
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

/** Wilson score interval for a proportion k / n (n = 0 gives [0, 1] around NaN). */
export function wilson(k: number, n: number, confidence = 0.95): Estimate {
  if (n === 0) return { value: Number.NaN, lower: 0, upper: 1 };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = k / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return { value: p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/** A seeded uniform generator on [0, 1) (mulberry32), so intervals are reproducible. */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The mean with a percentile-bootstrap confidence interval (seeded; an empty sample gives NaN). */
export function bootstrapMean(
  values: readonly number[],
  opts: { confidence?: number; resamples?: number; seed?: number } = {},
): Estimate {
  const n = values.length;
  if (n === 0) return { value: Number.NaN, lower: Number.NaN, upper: Number.NaN };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const resamples = opts.resamples ?? 2000;
  const rand = uniform(opts.seed ?? 1);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rand() * n)] as number;
    means[r] = s / n;
  }
  means.sort();
  const alpha = (1 - (opts.confidence ?? 0.95)) / 2;
  const at = (q: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))] as number;
  return { value: mean, lower: at(alpha), upper: at(1 - alpha) };
}
