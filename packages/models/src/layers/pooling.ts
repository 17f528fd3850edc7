// The window arithmetic max- and average-pooling share.
import type { Padding, Shape } from "../shape.js";
import { isImage, showShape, window } from "../shape.js";

export interface PoolLike {
  readonly size: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
}

export function poolShape(layer: PoolLike, input: Shape): Shape {
  if (!isImage(input))
    throw new Error(`expects an image input (height×width×channels), got ${showShape(input)}`);
  const [h, w, c] = input;
  const [ph, pw] = layer.size;
  const [sh, sw] = layer.strides;
  if (!(ph > 0 && pw > 0 && sh > 0 && sw > 0))
    throw new Error(`size ${ph}×${pw} and strides ${sh}×${sw} must be positive`);
  const oh = window(h, ph, sh, layer.padding).out;
  const ow = window(w, pw, sw, layer.padding).out;
  if (oh < 1 || ow < 1)
    throw new Error(`window ${ph}×${pw} does not fit the ${h}×${w} input with "valid" padding`);
  return [oh, ow, c];
}

/**
 * Calls `visit(outIndex, inIndices)` for every output cell with the input cells of its window
 * that lie inside the input (padding cells are skipped, as TensorFlow does for both pools).
 */
export function forEachWindow(
  layer: PoolLike,
  inShape: Shape,
  outShape: Shape,
  visit: (out: number, cells: number[]) => void,
): void {
  const [h, w, c] = inShape as [number, number, number];
  const [oh, ow] = outShape as [number, number, number];
  const [ph, pw] = layer.size;
  const [sh, sw] = layer.strides;
  const top = window(h, ph, sh, layer.padding).padBefore;
  const left = window(w, pw, sw, layer.padding).padBefore;
  const cells: number[] = [];
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let ch = 0; ch < c; ch++) {
        cells.length = 0;
        for (let dy = 0; dy < ph; dy++) {
          const iy = oy * sh + dy - top;
          if (iy < 0 || iy >= h) continue;
          for (let dx = 0; dx < pw; dx++) {
            const ix = ox * sw + dx - left;
            if (ix >= 0 && ix < w) cells.push((iy * w + ix) * c + ch);
          }
        }
        visit((oy * ow + ox) * c + ch, cells);
      }
    }
  }
}
