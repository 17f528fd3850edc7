import type { Conv2d, LayerModule } from "../layer.js";
import { checkPadding, isImage, showPadding, showShape, window } from "../shape.js";

export const conv2d: LayerModule<Conv2d> = {
  kind: "conv2d",
  reach: (layer) => ({ size: layer.kernel, strides: layer.strides }),
  outputShape(layer, input) {
    if (!isImage(input))
      throw new Error(`expects an image input (height×width×channels), got ${showShape(input)}`);
    const [h, w, c] = input;
    const [kh, kw] = layer.kernel;
    const [sh, sw] = layer.strides;
    if (!(kh > 0 && kw > 0 && sh > 0 && sw > 0))
      throw new Error(`kernel ${kh}×${kw} and strides ${sh}×${sw} must be positive`);
    checkPadding(layer.padding);
    const expected = kh * kw * c * layer.filters;
    if (layer.weights.length !== expected) {
      throw new Error(
        `has ${layer.weights.length} weights, expected ${kh}×${kw}×${c}×${layer.filters} = ${expected}`,
      );
    }
    if (layer.bias.length !== layer.filters)
      throw new Error(`has ${layer.bias.length} biases for ${layer.filters} filters`);
    const oh = window(h, kh, sh, layer.padding, 0).out;
    const ow = window(w, kw, sw, layer.padding, 1).out;
    if (oh < 1 || ow < 1)
      throw new Error(
        `kernel ${kh}×${kw} does not fit the ${h}×${w} input with ${showPadding(layer.padding)} padding`,
      );
    return [oh, ow, layer.filters];
  },
  forward(layer, x, inShape, outShape) {
    const [h, w, c] = inShape as [number, number, number];
    const [oh, ow, f] = outShape as [number, number, number];
    const [kh, kw] = layer.kernel;
    const [sh, sw] = layer.strides;
    const top = window(h, kh, sh, layer.padding, 0).padBefore;
    const left = window(w, kw, sw, layer.padding, 1).padBefore;
    const wt = layer.weights;
    const y = new Float64Array(oh * ow * f);
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const out = (oy * ow + ox) * f;
        for (let k = 0; k < f; k++) y[out + k] = layer.bias[k] as number;
        for (let dy = 0; dy < kh; dy++) {
          const iy = oy * sh + dy - top;
          if (iy < 0 || iy >= h) continue;
          for (let dx = 0; dx < kw; dx++) {
            const ix = ox * sw + dx - left;
            if (ix < 0 || ix >= w) continue;
            const inBase = (iy * w + ix) * c;
            const wBase = (dy * kw + dx) * c * f;
            for (let ch = 0; ch < c; ch++) {
              const v = x[inBase + ch] as number;
              if (v === 0) continue;
              const wRow = wBase + ch * f;
              for (let k = 0; k < f; k++) y[out + k] = (y[out + k] as number) + v * (wt[wRow + k] as number);
            }
          }
        }
      }
    }
    return y;
  },
};
