import type { Dropout, Flatten, Layer, LayerKind } from "@rho/models";
import type { LayerEncoder } from "../layer-encoder.js";
import { avgpool, conv2d, dense, globalavgpool } from "./affine.js";
import { maxpool, relu } from "./piecewise.js";

// flatten and dropout relabel values without changing them (channels-last order is already flat)
const flatten: LayerEncoder<Flatten> = {
  kind: "flatten",
  encode: ({ inVars, inBounds }) => ({ outVars: inVars, outBounds: inBounds }),
};
const dropout: LayerEncoder<Dropout> = {
  kind: "dropout",
  encode: ({ inVars, inBounds }) => ({ outVars: inVars, outBounds: inBounds }),
};

type Encoders = { [K in LayerKind]: LayerEncoder<Extract<Layer, { kind: K }>> };

/** One encoder per layer kind; `encodeNetwork` never special-cases a kind. */
export const LAYER_ENCODERS: Encoders = {
  dense,
  conv2d,
  avgpool,
  globalavgpool,
  relu,
  maxpool,
  flatten,
  dropout,
};
