// What a certifying method would hold in memory on a network, estimated from the layers' shapes
// before any work, so that a network too large for the machine is refused at once with one line
// rather than running it out of memory part of the way through.
import { totalmem } from "node:os";
import { type Layer, type Network, type Shape, SIMD_BUDGET } from "@rho/models/core";
import type { BoundMethod } from "./method.js";

export class BoundMemoryError extends Error {
  override name = "BoundMemoryError";
}

const cells = (s: Shape) => s.reduce((a, b) => a * b, 1);

/**
 * Entries of layer l's affine map as CROWN stores it (outputs × fan-in, zero weights included: an
 * upper bound); 0 for ReLU and max-pool, which it does not store as matrices.
 */
export function affineEntries(net: Network, l: number): number {
  const layer = net.layers[l] as Layer;
  const inSize = cells(net.inShapes[l] as Shape);
  const outSize = cells(net.shapes[l + 1] as Shape);
  switch (layer.kind) {
    case "relu":
    case "maxpool":
      return 0;
    case "dense":
      return inSize * layer.units;
    case "conv2d": {
      const inShape = net.inShapes[l] as Shape;
      return outSize * layer.kernel[0] * layer.kernel[1] * (inShape[inShape.length - 1] as number);
    }
    case "avgpool":
      return outSize * layer.size[0] * layer.size[1];
    default:
      // globalavgpool, flatten, dropout, add, concat: every input value read once
      return inSize;
  }
}

/** Bytes of every layer's values as intervals (IBP's and CROWN's bounds, their inputs' copies). */
const intervalBytes = (net: Network) => net.shapes.reduce((s, sh) => s + cells(sh), 0) * 8 * 2 * 3;

/**
 * CROWN's peak memory on this network, estimated: every affine layer's map as CSR (a float64
 * weight and an int32 index an entry, kept for the run), a dense layer's |W|ᵀ (float64, for the
 * rounding terms) and, up to their budget, the copies of its matrices the WebAssembly kernels keep
 * (W and |W|ᵀ), the bounds of every value, and the margins' rows (one per other label, two
 * layers' worth alive at a time).
 */
export function crownBytes(net: Network): number {
  let entries = 0;
  let dense = 0;
  let widest = 0;
  net.layers.forEach((layer, l) => {
    const n = affineEntries(net, l);
    entries += n;
    if (layer.kind === "dense") dense += n;
    widest = Math.max(widest, cells(net.shapes[l + 1] as Shape), cells(net.inShapes[l] as Shape));
  });
  const rows = Math.max(1, net.outputSize - 1) * widest * 8 * 2;
  return entries * 12 + dense * 8 + Math.min(SIMD_BUDGET, dense * 16) + intervalBytes(net) + rows;
}

/** IBP's peak memory: the intervals of every value. */
export const ibpBytes = (net: Network): number => intervalBytes(net);

/** The memory a bound may use by default: three quarters of the machine's. */
export const defaultMemoryLimit = (): number => 0.75 * totalmem();

const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GB`;

/**
 * Throws a BoundMemoryError (one line: what the method would need, what the limit is) when the
 * method's estimate for this network exceeds the limit. Methods without an estimate pass.
 */
export function checkMemory(method: BoundMethod, net: Network, limit = defaultMemoryLimit()): void {
  const need = method.memoryBytes?.(net);
  if (need === undefined || need <= limit) return;
  throw new BoundMemoryError(
    `${method.name} on ${net.name} would need about ${gb(need)} of memory (its layers' linear maps and bounds); the limit is ${gb(limit)} (three quarters of this machine's): use a smaller network or a larger machine`,
  );
}
