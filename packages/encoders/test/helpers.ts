import { concatRows, type LinearProgram, minLinfProgram } from "@rho/constraints";
import type { Network } from "@rho/models";
import { arbNetwork, arbPixels } from "@rho/models/testing";
import fc from "fast-check";
import { formsToRows, type LinearRegion } from "../src/index.js";

/** Pixels from a few values half the time, so max-pool windows and ReLUs tie as on MNIST. */
export const tiedPixels = (net: Network) =>
  fc.oneof(
    arbPixels(net),
    fc.array(fc.constantFrom(0, 0, 0, 255), { minLength: net.inputSize, maxLength: net.inputSize }),
  );
export const netAndPixels = arbNetwork().chain((net) => fc.tuple(fc.constant(net), tiedPixels(net)));

/** A point near px: each pixel moved by at most `r`. */
export const nearby = (px: number[], steps: number[], r: number) =>
  px.map((v, i) => v + ((steps[i % steps.length] as number) / 4) * r);

/** min ‖x − x*‖∞ over x*'s region (every inequality as a row over the pixels) with `target` winning by `margin`. */
export function pixelProgram(region: LinearRegion, target: number, margin: number): LinearProgram {
  const base = minLinfProgram(region.center, [0, 255]);
  const layer = region.net.layers.length;
  const others = Array.from({ length: region.net.outputSize }, (_, j) => j).filter((j) => j !== target);
  const out = formsToRows(
    others.map((j) => region.combination(layer, [target, j], [1, -1])),
    (f) => [margin - f.constant, Infinity],
  );
  const all = region.rows(Array.from({ length: region.size }, (_, k) => k));
  return { ...base, rows: concatRows(concatRows(base.rows, out), all) };
}
