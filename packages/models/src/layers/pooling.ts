// The window arithmetic max- and average-pooling share.
import type { Padding, Shape } from "../shape.js";
import { checkPadding, isImage, showPadding, showShape, window } from "../shape.js";

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
  checkPadding(layer.padding, layer.size);
  const oh = window(h, ph, sh, layer.padding, 0).out;
  const ow = window(w, pw, sw, layer.padding, 1).out;
  if (oh < 1 || ow < 1)
    throw new Error(
      `window ${ph}×${pw} does not fit the ${h}×${w} input with ${showPadding(layer.padding)} padding`,
    );
  return [oh, ow, c];
}

/**
 * Calls `visit(outIndex, inIndices)` for every output cell with the input cells of its window
 * that lie inside the input (padding cells are skipped: a max-pool pads with −∞, and an average
 * pool divides by the cells inside unless it counts the padding, see `poolDivisor`).
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
  const top = window(h, ph, sh, layer.padding, 0).padBefore;
  const left = window(w, pw, sw, layer.padding, 1).padBefore;
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

/** What an average pool divides a window's sum by: its cells inside the input, or the whole window. */
export const poolDivisor = (
  layer: PoolLike & { readonly countPadding?: boolean },
  cellsInside: number,
): number => (layer.countPadding ? layer.size[0] * layer.size[1] : cellsInside);
