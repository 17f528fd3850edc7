import { addWeightedRows } from "../dense-product.js";
import type { Dense, LayerModule } from "../layer.js";
import { isImage, showShape } from "../shape.js";

export const dense: LayerModule<Dense> = {
  kind: "dense",
  reach: "all",
  outputShape(layer, input) {
    if (isImage(input))
      throw new Error(`expects a flat input, got ${showShape(input)} (add a flatten layer before it)`);
    const n = input[0];
    if (layer.weights.length !== n * layer.units) {
      throw new Error(
        `has ${layer.weights.length} weights, expected ${n} inputs × ${layer.units} units = ${n * layer.units}`,
      );
    }
    if (layer.bias.length !== layer.units)
      throw new Error(`has ${layer.bias.length} biases for ${layer.units} units`);
    return [layer.units];
  },
  forward(layer, x) {
    const u = layer.units;
    const y = Float64Array.from(layer.bias);
    const w = layer.weights;
    // y += Σ_i x_i·W[i, ·]: the weights are input-major, so W·x is a sum of weight rows
    addWeightedRows(y, w, u, x);
    return y;
  },
};
