import {
  and,
  ConstraintSystem,
  type Formula,
  type Restriction,
  type RestrictOptions,
  restrictAt,
} from "@rho/constraints";
import type { Layer, Network, Shape } from "@rho/models/core";
import type { Bounds, LayerEncoder } from "./layer-encoder.js";
import { newVars } from "./layer-encoder.js";
import { LAYER_ENCODERS } from "./layers/index.js";

export interface EncodeOptions {
  /** Bounds of every raw input pixel; default [0, 255]. Use [-Infinity, Infinity] for none. */
  readonly inputBox?: readonly [number, number];
}

/**
 * C_f(x, ·) for a network: raw pixel variables, the preprocessing as equalities, then every
 * layer's constraints. Label constraints are separate (`labelConstraint`), so one encoding
 * serves every target label.
 */
export interface Encoding {
  readonly net: Network;
  readonly sys: ConstraintSystem;
  /** Raw pixel variables (the x of the paper, in the dataset's units). */
  readonly pixels: Int32Array;
  /** layers[0]: preprocessed input; layers[i + 1]: output of network layer i. */
  readonly layers: readonly Int32Array[];
  readonly logits: Int32Array;
  /** Interval bounds of every variable implied by the input box. */
  readonly bounds: Bounds;
}

export function encodeNetwork(net: Network, opts: EncodeOptions = {}): Encoding {
  const [lo, hi] = opts.inputBox ?? [0, 255];
  const sys = new ConstraintSystem();
  const n = net.inputSize;
  const pixelVars = Int32Array.from({ length: n }, (_, i) => sys.vars.add(lo, hi, `px${i}`));
  // x0 = pixel · scale[c] + shift[c]
  const { scale, shift } = net.preprocess;
  const c = scale.length;
  const inLower = Float64Array.from({ length: n }, (_, i) => {
    const s = scale[i % c] as number;
    return Math.min(s * lo, s * hi) + (shift[i % c] as number);
  });
  const inUpper = Float64Array.from({ length: n }, (_, i) => {
    const s = scale[i % c] as number;
    return Math.max(s * lo, s * hi) + (shift[i % c] as number);
  });
  const input = newVars(sys, { lower: inLower, upper: inUpper }, "in");
  const lowers: Float64Array[] = [];
  const uppers: Float64Array[] = [];
  const keep = (b: Bounds) => {
    lowers.push(b.lower);
    uppers.push(b.upper);
  };
  keep({ lower: inLower, upper: inUpper });
  input.forEach((v, i) => {
    sys.add([v, pixelVars[i] as number], [1, -(scale[i % c] as number)], -(shift[i % c] as number), "eq");
  });
  const layers: Int32Array[] = [input];
  net.layers.forEach((layer, i) => {
    const encoder = LAYER_ENCODERS[layer.kind] as unknown as LayerEncoder<Layer>;
    const out = encoder.encode({
      sys,
      layer,
      prefix: `l${i}${layer.name ? `_${layer.name}` : ""}`,
      inVars: net.inputOf(i, layers),
      inShape: net.inShapes[i] as Shape,
      outShape: net.shapes[i + 1] as Shape,
      inBounds: { lower: net.inputOf(i, lowers), upper: net.inputOf(i, uppers) },
    });
    layers.push(out.outVars);
    keep(out.outBounds);
  });
  const all = { lower: sys.vars.lowerBounds(), upper: sys.vars.upperBounds() };
  return {
    net,
    sys,
    pixels: pixelVars,
    layers,
    logits: layers[layers.length - 1] as Int32Array,
    bounds: all,
  };
}

/** C_out(ℓ): z_ℓ ≥ z_j + margin for every other label j. */
export function labelConstraint(enc: Encoding, label: number, margin = 0): Formula {
  const z = enc.logits;
  if (!(label >= 0 && label < z.length)) throw new RangeError(`label ${label} is not in 0..${z.length - 1}`);
  const rows: Formula[] = [];
  z.forEach((zj, j) => {
    if (j !== label) rows.push(enc.sys.row([z[label] as number, zj], [1, -1], -margin, "ge"));
  });
  return and(...rows);
}

/** The value of every variable when the network runs on these pixels (float64 forward pass). */
export function assignment(enc: Encoding, pixels: ArrayLike<number>): Float64Array {
  const { activations } = enc.net.forward64(pixels);
  const x = new Float64Array(enc.sys.vars.count);
  enc.pixels.forEach((v, i) => {
    x[v] = pixels[i] as number;
  });
  enc.layers.forEach((vars, l) => {
    const values = activations[l] as Float64Array;
    vars.forEach((v, i) => {
      x[v] = values[i] as number;
    });
  });
  return x;
}

/** D(x*): the linear region around these pixels, from the disjuncts their forward pass satisfies. */
export function restrictAtPixels(
  enc: Encoding,
  pixels: ArrayLike<number>,
  opts: RestrictOptions = {},
): Restriction {
  return restrictAt(enc.sys, assignment(enc, pixels), opts);
}
