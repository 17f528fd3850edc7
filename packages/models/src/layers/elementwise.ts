// Layers that do not change values' layout: ReLU, flatten (channels-last storage is already
// flat in Keras' order) and dropout (identity at inference).
import type { Dropout, Flatten, LayerModule, Relu } from "../layer.js";
import { size } from "../shape.js";

export const relu: LayerModule<Relu> = {
  kind: "relu",
  outputShape: (_layer, input) => input,
  forward: (_layer, x) => x.map((v) => (v > 0 ? v : 0)),
  reach: "pointwise",
};

export const flatten: LayerModule<Flatten> = {
  kind: "flatten",
  outputShape: (_layer, input) => [size(input)],
  forward: (_layer, x) => x,
  reach: "pointwise",
};

export const dropout: LayerModule<Dropout> = {
  kind: "dropout",
  outputShape(layer, input) {
    if (!(layer.rate >= 0 && layer.rate < 1)) throw new Error(`rate ${layer.rate} is not in [0, 1)`);
    return input;
  },
  forward: (_layer, x) => x,
  reach: "pointwise",
};
