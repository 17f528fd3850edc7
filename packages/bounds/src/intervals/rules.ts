// Interval bound propagation, one rule per layer kind (auto_LiRPA's pattern: a small module per
// kind, a walker that never special-cases one). Every rule is built from the layer's own float64
// forward pass, so IBP and the network cannot disagree about what a layer computes:
// - affine layers (dense, conv2d, average pools, flatten, dropout): centre and radius,
//   mid' = f(mid), rad' = |f|(rad), with |f| the layer with |weights| and no bias;
// - monotone layers (relu, max-pool): f(lo), f(hi).
// Soundness against floating point: an affine layer's interval is widened by twice the classic
// bound on float32 summation error, γ(n)·(|W|·max(|lo|, |hi|) + |b|) with γ(n) = n·u / (1 − n·u),
// u = 2⁻²⁴ and n its fan-in (+2 for the multiply and the bias). That covers the deployed float32
// model in any summation order, the float64 IR, and the float64 rounding of these bounds
// themselves (≤ 2⁻²⁹ of the float32 term). relu, max-pool, flatten and dropout round nothing.
import { type Layer, type LayerKind, moduleFor, type Shape } from "@rho/models/core";

export interface Interval {
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

export interface IntervalRule<L extends Layer> {
  propagate(layer: L, x: Interval, inShape: Shape, outShape: Shape): Interval;
}

const U32 = 2 ** -24;
/** Twice γ(n) for float32: the relative error bound of an n-term dot product, doubled. */
export const roundingFactor = (n: number): number => (n === 0 ? 0 : (2 * n * U32) / (1 - n * U32));

type Forward<L extends Layer> = (layer: L, x: Float64Array, inShape: Shape, outShape: Shape) => Float64Array;
const forwardOf = <L extends Layer>(layer: L): Forward<L> => moduleFor(layer).forward.bind(moduleFor(layer));

/**
 * An affine layer's rule. `magnitude(layer)` is the layer with |weights| and the given bias
 * (zeros for the radius, |b| for the rounding term); `fanIn` its terms per output.
 */
function affine<L extends Layer>(
  magnitude: (layer: L, bias: "zero" | "abs") => L,
  fanIn: (layer: L, inShape: Shape, outShape: Shape) => number,
): IntervalRule<L> {
  return {
    propagate(layer, { lo, hi }, inShape, outShape) {
      const f = forwardOf(layer);
      // (plain loops, the same arithmetic: branch and bound propagates every split's domain)
      const n = lo.length;
      const mid = new Float64Array(n);
      const rad = new Float64Array(n);
      const big = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const l = lo[i] as number;
        const h = hi[i] as number;
        mid[i] = (l + h) / 2;
        rad[i] = (h - l) / 2;
        big[i] = Math.max(Math.abs(l), Math.abs(h));
      }
      const m = f(layer, mid, inShape, outShape);
      const r = f(magnitude(layer, "zero"), rad, inShape, outShape);
      const gamma = roundingFactor(fanIn(layer, inShape, outShape));
      const size = gamma > 0 ? f(magnitude(layer, "abs"), big, inShape, outShape) : undefined;
      const outLo = new Float64Array(m.length);
      const outHi = new Float64Array(m.length);
      for (let o = 0; o < m.length; o++) {
        const w = (r[o] as number) + (size ? gamma * (size[o] as number) : 0);
        outLo[o] = (m[o] as number) - w;
        outHi[o] = (m[o] as number) + w;
      }
      return { lo: outLo, hi: outHi };
    },
  };
}

const monotone: IntervalRule<Layer> = {
  propagate(layer, { lo, hi }, inShape, outShape) {
    const f = forwardOf(layer);
    return { lo: f(layer, lo, inShape, outShape), hi: f(layer, hi, inShape, outShape) };
  },
};

// |W| copies are made once per layer object.
const cache = new WeakMap<object, Map<string, Layer>>();
function withMagnitudes<L extends Layer & { weights: Float32Array; bias: Float32Array }>(
  layer: L,
  bias: "zero" | "abs",
): L {
  let byBias = cache.get(layer);
  if (!byBias) {
    byBias = new Map();
    cache.set(layer, byBias);
  }
  let copy = byBias.get(bias) as L | undefined;
  if (!copy) {
    copy = {
      ...layer,
      weights: layer.weights.map(Math.abs),
      bias: bias === "zero" ? new Float32Array(layer.bias.length) : layer.bias.map(Math.abs),
    };
    byBias.set(bias, copy);
  }
  return copy;
}
const itself = <L extends Layer>(layer: L) => layer;
const cells = (s: Shape) => s.reduce((a, b) => a * b, 1);

type Rules = { [K in LayerKind]: IntervalRule<Extract<Layer, { kind: K }>> };

export const INTERVAL_RULES: Rules = {
  dense: affine(withMagnitudes, (_l, inShape) => cells(inShape) + 2),
  conv2d: affine(withMagnitudes, (l, inShape) => l.kernel[0] * l.kernel[1] * (inShape[2] as number) + 2),
  // averages: nonnegative weights, no bias; n cells summed, then one division
  avgpool: affine(itself, (l) => l.size[0] * l.size[1] + 1),
  globalavgpool: affine(itself, (_l, inShape) => (inShape[0] as number) * (inShape[1] as number) + 1),
  flatten: affine(itself, () => 0),
  dropout: affine(itself, () => 0),
  relu: monotone,
  maxpool: monotone,
  // joins: an add sums one cell of each input (no weights; n − 1 additions), a concat copies
  add: affine(itself, (_l, inShape, outShape) => Math.round(cells(inShape) / cells(outShape))),
  concat: affine(itself, () => 0),
};

export function ruleFor<L extends Layer>(layer: L): IntervalRule<L> {
  return INTERVAL_RULES[layer.kind] as unknown as IntervalRule<L>;
}
