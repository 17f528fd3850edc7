// Whether a property's input box is an L∞ ball around a point, clipped to a global range — the
// shape of every robustness property (mnistfc's: the image ± ε, clipped to [0, 1]) — so that the
// minimum-distance attacks, which search balls, can look for its counterexamples.
import type { SpecCase } from "./vnnlib.js";

export interface Ball {
  /** The ball's centre (the image), its radius, and the range every input is clipped to. */
  readonly center: Float64Array;
  readonly eps: number;
  readonly range: readonly [number, number];
}

/**
 * The ball whose clipping gives this box, or undefined when the box is of no such shape: every
 * input's interval is [c − ε, c + ε] with one ε, except where it meets the range's end (then c
 * lies ε beyond the other end, within the range). Widths agree to 1e-6 of the range.
 */
export function ballOf(c: SpecCase): Ball | undefined {
  const n = c.lo.length;
  if (n === 0) return undefined;
  let r0 = Number.POSITIVE_INFINITY;
  let r1 = Number.NEGATIVE_INFINITY;
  let width = 0;
  for (let i = 0; i < n; i++) {
    r0 = Math.min(r0, c.lo[i] as number);
    r1 = Math.max(r1, c.hi[i] as number);
    width = Math.max(width, (c.hi[i] as number) - (c.lo[i] as number));
  }
  const eps = width / 2;
  // specs write float32 values: their widths differ in the 8th digit
  const tol = 1e-6 * Math.max(1, r1 - r0);
  if (!(eps > 0)) return undefined;
  const center = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lo = c.lo[i] as number;
    const hi = c.hi[i] as number;
    let x: number;
    if (Math.abs(hi - lo - width) <= tol) x = (lo + hi) / 2;
    else if (Math.abs(lo - r0) <= tol) x = hi - eps;
    else if (Math.abs(hi - r1) <= tol) x = lo + eps;
    else return undefined;
    if (x < r0 - tol || x > r1 + tol) return undefined;
    center[i] = Math.min(r1, Math.max(r0, x));
  }
  return { center, eps, range: [r0, r1] };
}
