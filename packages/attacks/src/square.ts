// The Square Attack (Andriushchenko et al. 2020), L∞: score-based random search, no gradients, so
// it still finds examples where gradients are masked or useless. It starts from vertical stripes
// of ±ε and repeatedly sets a random square window (every channel ±ε) to a new random vertex of
// the ball, keeping the change when the margin z_y − max_{j≠y} z_j falls; the window's area
// shrinks on AutoAttack's schedule. Fixed ε; deterministic under its seed.
import { prng } from "@rho/models";
import { float32Logits } from "./context.js";
import { defineAttack } from "./define.js";
import { EPS_OPTION } from "./fgsm.js";
import type { GivenOptions } from "./options.js";
import { clipToBox } from "./verify.js";

/** The fraction of the image a window covers at query i of n (halving at AutoAttack's points, for n = 10,000). */
export function squareFraction(pInit: number, i: number, n: number): number {
  const t = Math.floor((i / n) * 10000);
  const halvings = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000].filter((k) => t > k).length;
  return pInit / 2 ** halvings;
}

export const square = defineAttack({
  name: "square",
  family: "fixed-epsilon",
  description:
    "Square Attack (score-based random search over square windows of ±ε; no gradients) at a fixed ε",
  options: {
    ...EPS_OPTION,
    queries: { type: "integer", min: 1, default: 1000, help: "forward passes at most" },
    pInit: {
      type: "number",
      min: 0,
      exclusiveMin: true,
      max: 1,
      default: 0.1,
      help: "initial fraction of the image a window covers",
    },
    seed: { type: "integer", min: 0, default: 1, help: "seed of the random search" },
  },
  async search({ ctx, point, box }, opts) {
    const net = ctx.net;
    const eps = opts.eps;
    const queries = opts.queries;
    const rand = prng(opts.seed);
    const sign = () => (rand() < 0.5 ? -1 : 1);
    const center = Float64Array.from(point.pixels as ArrayLike<number>);
    // images [h, w, c]; a flat input is one column of h values
    const [h, w, c] = net.inputShape.length === 3 ? net.inputShape : [net.inputShape[0], 1, 1];
    const label = point.label;
    const marginOf = (z: ArrayLike<number>) => {
      let other = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < z.length; j++) if (j !== label) other = Math.max(other, z[j] as number);
      return (z[label] as number) - other;
    };
    // Queries run the float32 model (the deployed arithmetic, and on a NiN-sized network ~20× faster
    // than the float64 IR in JavaScript); a query counts as a success only where float64 agrees,
    // so the search never stops on an example that verification would refuse.
    const margin = async (x: Float64Array) => {
      const m32 = marginOf(await float32Logits(ctx, [x]));
      return m32 < 0 ? Math.max(m32, marginOf(net.forward64(x).logits)) : m32;
    };
    const vertex = (i: number, s: number) => (center[i] as number) + s * eps;
    // vertical stripes: one random sign per column and channel
    const stripes = Array.from({ length: w * c }, sign);
    let x = clipToBox(
      Array.from(center, (_, i) =>
        vertex(i, stripes[((Math.floor(i / c) % w) * c + (i % c)) as number] as number),
      ),
      box,
    );
    let m = await margin(x);
    let used = 1;
    while (m >= 0 && used < queries) {
      const side = Math.max(
        1,
        Math.min(h - 1 || 1, Math.round(Math.sqrt(squareFraction(opts.pInit, used, queries) * h * w))),
      );
      const sideW = Math.min(side, w);
      const top = Math.floor(rand() * (h - side + 1));
      const left = Math.floor(rand() * (w - sideW + 1));
      const signs = Array.from({ length: c }, sign);
      const y = Float64Array.from(x);
      for (let r = top; r < top + side; r++)
        for (let q = left; q < left + sideW; q++)
          for (let ch = 0; ch < c; ch++) {
            const i = (r * w + q) * c + ch;
            y[i] = vertex(i, signs[ch] as number);
          }
      const candidate = clipToBox(y, box);
      const mc = await margin(candidate);
      used++;
      if (mc < m) [x, m] = [candidate, mc];
    }
    const diagnostics = { eps, queries: used, margin: m };
    return m < 0 ? { example: x, diagnostics } : { diagnostics };
  },
});

/** What a caller may give `square`: any of its declared options (`rho attacks` lists them). */
export type SquareOptions = GivenOptions<typeof square.options>;
