import type { Network, Shape } from "@rho/models/core";
import { ibpBytes } from "../memory.js";
import type { BoundMethod, Certificate, Query } from "../method.js";
import { type Interval, roundingFactor, ruleFor } from "./rules.js";

/** The pixels' box: the L∞ ball of radius eps around x* intersected with the pixel box. */
export function ballBox(center: ArrayLike<number>, eps: number, box: readonly [number, number]): Interval {
  const lo = Float64Array.from(center as ArrayLike<number>, (c) => Math.max(box[0], c - eps));
  const hi = Float64Array.from(center as ArrayLike<number>, (c) => Math.min(box[1], c + eps));
  return { lo, hi };
}

/** The preprocessing x·scale + shift per channel, widened for its float32 rounding. */
function preprocessInterval(net: Network, { lo, hi }: Interval): Interval {
  const { scale, shift } = net.preprocess;
  const c = scale.length;
  const g = roundingFactor(2);
  const outLo = new Float64Array(lo.length);
  const outHi = new Float64Array(lo.length);
  for (let i = 0; i < lo.length; i++) {
    const s = scale[i % c] as number;
    const b = shift[i % c] as number;
    const a = (lo[i] as number) * s + b;
    const z = (hi[i] as number) * s + b;
    const slack =
      g * (Math.max(Math.abs(lo[i] as number), Math.abs(hi[i] as number)) * Math.abs(s) + Math.abs(b));
    outLo[i] = Math.min(a, z) - slack;
    outHi[i] = Math.max(a, z) + slack;
  }
  return { lo: outLo, hi: outHi };
}

/** Interval bounds of every layer's output (index 0: the preprocessed input) over a pixel box. */
export function intervalBounds(net: Network, pixels: Interval): Interval[] {
  const out: Interval[] = [preprocessInterval(net, pixels)];
  net.layers.forEach((layer, i) => {
    out.push(
      ruleFor(layer).propagate(
        layer,
        inputInterval(net, i, out),
        net.inShapes[i] as Shape,
        net.shapes[i + 1] as Shape,
      ),
    );
  });
  return out;
}

/** Layer i's input interval from every value's (a join's inputs concatenated). */
export function inputInterval(net: Network, i: number, perValue: readonly Interval[]): Interval {
  return {
    lo: net.inputOf(
      i,
      perValue.map((v) => v.lo),
    ),
    hi: net.inputOf(
      i,
      perValue.map((v) => v.hi),
    ),
  };
}

/** The smallest margin z_label − z_j over the box that the logits' intervals prove. */
export function intervalMargin(logits: Interval, label: number): number {
  let m = Number.POSITIVE_INFINITY;
  for (let j = 0; j < logits.lo.length; j++)
    if (j !== label) m = Math.min(m, (logits.lo[label] as number) - (logits.hi[j] as number));
  return m;
}

/**
 * IBP: the logits' intervals over the ball. Certified when the label's lower bound beats every
 * other label's upper bound (strictly: a tie would go to the first label); otherwise unknown —
 * intervals find no witnesses.
 */
export const ibp: BoundMethod = {
  name: "ibp",
  description: "interval bound propagation: per-unit intervals layer by layer (cheap, loose)",
  memoryBytes: ibpBytes,
  async certify(q: Query): Promise<Certificate> {
    const bounds = intervalBounds(q.net, ballBox(q.center, q.eps, q.box));
    const margin = intervalMargin(bounds[bounds.length - 1] as Interval, q.label);
    return { status: margin > 0 ? "certified" : "unknown", diagnostics: { margin } };
  },
};
