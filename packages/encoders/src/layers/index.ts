import type { Dropout, Flatten, Layer, LayerKind } from "@rho/models/core";
import type { LayerEncoder } from "../layer-encoder.js";
import { NO_CONSTRAINTS } from "../layer-encoder.js";
import { add, avgpool, concat, conv2d, dense, globalavgpool } from "./affine.js";
import { maxpool, relu } from "./piecewise.js";

// flatten and dropout relabel values without changing them (channels-last order is already flat)
function identity<L extends Flatten | Dropout>(kind: L["kind"]): LayerEncoder<L> {
  return {
    kind,
    encode: ({ inVars, inBounds }) => ({ outVars: inVars, outBounds: inBounds }),
    linearize: () => ({
      forward: (x) => x,
      fanIn: (o, visit) => visit(o, 1),
      constraints: NO_CONSTRAINTS,
      ties: 0,
    }),
  };
}

type Encoders = { [K in LayerKind]: LayerEncoder<Extract<Layer, { kind: K }>> };

/** One encoder per layer kind; `encodeNetwork` and `LinearRegion` never special-case a kind. */
export const LAYER_ENCODERS: Encoders = {
  dense,
  conv2d,
  avgpool,
  globalavgpool,
  relu,
  maxpool,
  flatten: identity<Flatten>("flatten"),
  dropout: identity<Dropout>("dropout"),
  add,
  concat,
};
