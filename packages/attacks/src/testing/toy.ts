import { Network, prng, rawPixels } from "@rho/models";

/** A random 2-input ReLU network (raw pixels → 8 hidden → 3 labels), seeded. */
export function toyNetwork(seed: number): Network {
  const rand = prng(seed);
  const w = (n: number, s: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s);
  return new Network({
    inputShape: [2],
    preprocess: rawPixels(1),
    layers: [
      { kind: "dense", units: 8, weights: w(16, 0.1), bias: w(8, 5) },
      { kind: "relu" },
      { kind: "dense", units: 3, weights: w(24, 1), bias: w(3, 1) },
    ],
  });
}

/** The true ρ by a dense grid around x*: the L∞ distance of the nearest grid point with another label, ± h. */
export function gridRho(net: Network, px: number[], radius: number, h: number): number {
  const label = net.predict64(px);
  let best = Number.POSITIVE_INFINITY;
  for (let a = -radius; a <= radius; a += h) {
    for (let b = -radius; b <= radius; b += h) {
      const x = [(px[0] as number) + a, (px[1] as number) + b];
      if (x.some((v) => v < 0 || v > 255)) continue;
      const d = Math.max(Math.abs(a), Math.abs(b));
      if (d < best && net.predict64(x) !== label) best = d;
    }
  }
  return best;
}

/** The grid's step and reach for `gridCases`: the true ρ lies in (truth − GRID_STEP, truth]. */
export const GRID_STEP = 0.25;
export const GRID_RADIUS = 32;

export interface GridCase {
  readonly net: Network;
  readonly px: number[];
  readonly label: number;
  /** gridRho within GRID_RADIUS (∞ when no grid point there has another label). */
  readonly truth: number;
}

let cases: GridCase[] | undefined;
/**
 * 80 toy networks (seeds 1..80), each with a point away from the box's edge and its grid ρ: the
 * shared fixture of the 2-D soundness tests of attacks and bounds. The grid search is the slow
 * part, so it runs once per test file.
 */
export function gridCases(): readonly GridCase[] {
  cases ??= Array.from({ length: 80 }, (_, k) => {
    const net = toyNetwork(k + 1);
    const rand = prng(1000 + k + 1);
    const px = [40 + Math.floor(rand() * 175), 40 + Math.floor(rand() * 175)];
    return { net, px, label: net.predict64(px), truth: gridRho(net, px, GRID_RADIUS, GRID_STEP) };
  });
  return cases;
}

/** A 4×4 image → 2×2 max-pool → 4 maxima → dense(2): on a blank image every window ties. */
export function poolNetwork(weights: number[], bias: [number, number]): Network {
  return new Network({
    inputShape: [4, 4, 1],
    preprocess: rawPixels(1),
    layers: [
      { kind: "maxpool", size: [2, 2], strides: [2, 2], padding: "valid" },
      { kind: "flatten" },
      { kind: "dense", units: 2, weights: Float32Array.from(weights), bias: Float32Array.from(bias) },
    ],
  });
}

/** A small seeded LeNet-like network (8×8 pixels → conv 4@3×3 → ReLU → max-pool → dense 12 → ReLU → 3): regions with max-pool facets. */
export function convNetwork(seed: number): Network {
  const rand = prng(seed);
  const w = (n: number, s: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s);
  return new Network({
    inputShape: [8, 8, 1],
    preprocess: { scale: [1 / 255], shift: [0] },
    layers: [
      {
        kind: "conv2d",
        filters: 4,
        kernel: [3, 3],
        strides: [1, 1],
        padding: "valid",
        weights: w(36, 0.6),
        bias: w(4, 0.1),
      },
      { kind: "relu" },
      { kind: "maxpool", size: [2, 2], strides: [2, 2], padding: "valid" },
      { kind: "flatten" },
      { kind: "dense", units: 12, weights: w(36 * 12, 0.4), bias: w(12, 0.1) },
      { kind: "relu" },
      { kind: "dense", units: 3, weights: w(36, 0.6), bias: w(3, 0.1) },
    ],
  });
}
