import { addWeightedRowsSimd } from "../dense-simd.js";
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
    // the nonzero inputs four at a time: each pass over y then reads and writes it once per four
    // weight rows, not once per row (the forward pass at every branch-and-bound domain's probe).
    // bounds' addWeightedRows is the same loop over its float64 copies of the weights; one function
    // fed both element types runs polymorphic in V8 (on a 784×256 matrix, 7 % slower for float64
    // and 20 % for float32), and a float64 copy here would double a large model's weights
    // (where WebAssembly SIMD runs and the layer is large, there: the same sums, the same bits)
    if (addWeightedRowsSimd(y, w, u, x)) return y;
    const nz: number[] = [];
    for (let i = 0; i < x.length; i++) if ((x[i] as number) !== 0) nz.push(i);
    let k = 0;
    for (; k + 3 < nz.length; k += 4) {
      const i0 = nz[k] as number;
      const i1 = nz[k + 1] as number;
      const i2 = nz[k + 2] as number;
      const i3 = nz[k + 3] as number;
      const x0 = x[i0] as number;
      const x1 = x[i1] as number;
      const x2 = x[i2] as number;
      const x3 = x[i3] as number;
      const s0 = i0 * u;
      const s1 = i1 * u;
      const s2 = i2 * u;
      const s3 = i3 * u;
      for (let j = 0; j < u; j++)
        y[j] =
          (y[j] as number) +
          (x0 * (w[s0 + j] as number) +
            x1 * (w[s1 + j] as number) +
            x2 * (w[s2 + j] as number) +
            x3 * (w[s3 + j] as number));
    }
    for (; k < nz.length; k++) {
      const i = nz[k] as number;
      const xi = x[i] as number;
      const row = i * u;
      for (let j = 0; j < u; j++) y[j] = (y[j] as number) + xi * (w[row + j] as number);
    }
    return y;
  },
};
