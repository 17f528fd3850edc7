import type { LayerModule, MaxPool } from "../layer.js";
import { forEachWindow, poolShape } from "./pooling.js";

export const maxpool: LayerModule<MaxPool> = {
  kind: "maxpool",
  outputShape: poolShape,
  reach: (layer) => layer,
  forward(layer, x, inShape, outShape) {
    const y = new Float64Array(outShape.reduce((a, b) => a * b, 1));
    forEachWindow(layer, inShape, outShape, (out, cells) => {
      let m = Number.NEGATIVE_INFINITY;
      for (const i of cells) m = Math.max(m, x[i] as number);
      y[out] = m;
    });
    return y;
  },
};
