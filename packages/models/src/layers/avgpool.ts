import type { AvgPool, LayerModule } from "../layer.js";
import { forEachWindow, poolDivisor, poolShape } from "./pooling.js";

export const avgpool: LayerModule<AvgPool> = {
  kind: "avgpool",
  outputShape: poolShape,
  reach: (layer) => layer,
  forward(layer, x, inShape, outShape) {
    const y = new Float64Array(outShape.reduce((a, b) => a * b, 1));
    forEachWindow(layer, inShape, outShape, (out, cells) => {
      let s = 0;
      for (const i of cells) s += x[i] as number;
      y[out] = s / poolDivisor(layer, cells.length);
    });
    return y;
  },
};
