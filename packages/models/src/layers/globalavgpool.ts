import type { GlobalAvgPool, LayerModule } from "../layer.js";
import { isImage, showShape } from "../shape.js";

export const globalavgpool: LayerModule<GlobalAvgPool> = {
  kind: "globalavgpool",
  reach: "all",
  outputShape(_layer, input) {
    if (!isImage(input))
      throw new Error(`expects an image input (height×width×channels), got ${showShape(input)}`);
    return [input[2]];
  },
  forward(_layer, x, inShape) {
    const [h, w, c] = inShape as [number, number, number];
    const y = new Float64Array(c);
    for (let p = 0; p < h * w; p++)
      for (let ch = 0; ch < c; ch++) y[ch] = (y[ch] as number) + (x[p * c + ch] as number);
    for (let ch = 0; ch < c; ch++) y[ch] = (y[ch] as number) / (h * w);
    return y;
  },
};
