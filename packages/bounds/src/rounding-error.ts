// How far the float32 network's logits can be from the real-arithmetic network's (which MILPs
// reason about), per logit, anywhere in a pixel box: propagated layer by layer from the standard
// float32 dot-product error bound γ(n)·Σ|w||x| (γ(n) = n·u/(1 − n·u), u = 2⁻²⁴). ReLU and max
// pooling are 1-Lipschitz per value and round nothing. Magnitudes come from `bounds`, whose
// intervals contain the float32 values too (every interval rule widens for float32 rounding).

import { poolCells } from "@rho/encoders";
import type { Layer, Network, Shape } from "@rho/models/core";
import { inputInterval } from "./intervals/ibp.js";
import type { Interval } from "./intervals/rules.js";
import { affineMap } from "./linear/crown.js";

const U = 2 ** -24;
const gamma = (n: number): number => (n * U) / (1 - n * U);
const mag = (iv: Interval, i: number) => Math.max(Math.abs(iv.lo[i] as number), Math.abs(iv.hi[i] as number));

/** Per logit: a bound on |float32 logit − real logit| over the box (bounds as crownBounds gives them). */
export function float32ErrorBound(net: Network, bounds: readonly Interval[], pixels: Interval): Float64Array {
  const { scale, shift } = net.preprocess;
  const ch = scale.length;
  // the pixel and x0 = p·s + t, each rounded to float32
  const errors: Float64Array[] = [
    Float64Array.from(
      pixels.lo,
      (_, i) =>
        gamma(3) * (mag(pixels, i) * Math.abs(scale[i % ch] as number) + Math.abs(shift[i % ch] as number)),
    ),
  ];
  net.layers.forEach((layer: Layer, l) => {
    const inShape = net.inShapes[l] as Shape;
    const outShape = net.shapes[l + 1] as Shape;
    const prev = net.inputOf(l, errors);
    if (layer.kind === "relu") {
      errors.push(prev);
      return;
    }
    const size = (bounds[l + 1] as Interval).lo.length;
    if (layer.kind === "maxpool") {
      errors.push(
        Float64Array.from({ length: size }, (_, o) =>
          Math.max(...poolCells(layer, inShape, outShape, o).map((k) => prev[k] as number)),
        ),
      );
      return;
    }
    const m = affineMap(layer, inShape, outShape);
    const input = inputInterval(net, l, bounds);
    const g = m.fanIn ? gamma(m.fanIn + 1) : 0;
    errors.push(
      Float64Array.from({ length: size }, (_, o) => {
        let carried = 0;
        let weight = Math.abs(m.constant[o] as number);
        for (let k = m.starts[o] as number; k < (m.starts[o + 1] as number); k++) {
          const w = Math.abs(m.weights[k] as number);
          const j = m.indices[k] as number;
          carried += w * (prev[j] as number);
          weight += w * mag(input, j);
        }
        return carried + g * weight;
      }),
    );
  });
  const e = errors[errors.length - 1] as Float64Array;
  // the bound's own float64 arithmetic
  return e.map((v) => v * (1 + 1e-9) + Number.MIN_VALUE);
}
