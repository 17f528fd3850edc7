// FMN, Fast Minimum-Norm attack (Pintor et al. 2021), L∞: signed-gradient steps on the margin
// z_y − max_{j≠y} z_j inside a ball whose radius ε adapts every step — it shrinks by a factor
// (1 − γ) while the point is adversarial (never above the best example's distance) and grows by
// (1 + γ) while it is not (before any example, it jumps to the margin's linear estimate of the
// boundary's distance, ‖δ‖∞ + margin / ‖∇‖₁, times 1 + γ). γ and the step α anneal by a cosine.

import { argmax } from "@rho/models";
import * as tf from "@tensorflow/tfjs";
import { defineAttack } from "./define.js";
import { lossAndGradient } from "./gradients.js";
import type { GivenOptions } from "./options.js";
import { clipToBox, linf, outwardExample } from "./verify.js";

/** z_y − max_{j≠y} z_j, the best other label taken at the current point (one-hot: wasm has no gather gradient). */
const marginLoss = (y: number, j: number) => (logits: tf.Tensor1D) => {
  const k = logits.shape[0];
  return tf.sum(tf.mul(logits, tf.sub(tf.oneHot(y, k), tf.oneHot(j, k)))) as tf.Scalar;
};

const cosine = (from: number, to: number, k: number, n: number) =>
  to + ((from - to) * (1 + Math.cos((Math.PI * k) / n))) / 2;

export const fmn = defineAttack({
  name: "fmn",
  family: "minimum-distance",
  description:
    "FMN (Pintor et al. 2021) in L∞: signed-gradient steps on the margin inside a radius that shrinks while adversarial and grows while not",
  options: {
    steps: { type: "integer", min: 1, default: 100, help: "gradient steps" },
    gamma: {
      type: "number",
      min: 0,
      exclusiveMin: true,
      max: 1,
      default: 0.05,
      help: "initial radius change per step (cosine-annealed to 0.001)",
    },
    alpha: {
      type: "number",
      min: 0,
      exclusiveMin: true,
      default: 1,
      help: "initial step, as a fraction of the radius (cosine-annealed to 1/100 of it)",
    },
  },
  async search({ ctx, point, box }, opts) {
    const net = ctx.net;
    const label = point.label;
    const center = Float64Array.from(point.pixels as ArrayLike<number>);
    const steps = opts.steps;
    let x: Float64Array = Float64Array.from(center);
    let eps = 0;
    let best: { x: Float64Array; d: number } | undefined;
    for (let k = 0; k < steps; k++) {
      const gamma = cosine(opts.gamma, 0.001, k, steps);
      const alpha = cosine(opts.alpha, opts.alpha / 100, k, steps);
      const z = net.forward64(x).logits;
      let j = label === 0 ? 1 : 0;
      z.forEach((v, i) => {
        if (i !== label && v > (z[j] as number)) j = i;
      });
      const adversarial = argmax(z) !== label; // the pass above, not a second one
      const d = linf(x, center);
      if (adversarial && (!best || d < best.d)) best = { x: Float64Array.from(x), d };
      const { value, grad } = await lossAndGradient(ctx, x, marginLoss(label, j));
      if (adversarial) eps = Math.min(eps * (1 - gamma), d);
      else if (best) eps = eps * (1 + gamma);
      else {
        let l1 = 0;
        for (const g of grad) l1 += Math.abs(g);
        // the linear estimate lands on the boundary itself (a tie keeps the label): γ beyond it
        eps = (l1 > 0 ? d + Math.max(value, 0) / l1 : d + 1) * (1 + gamma);
      }
      // a step down the margin, scaled to the radius, projected onto the ball and the box
      const step = alpha * Math.max(eps, 1e-3);
      x = clipToBox(
        x.map((v, i) => {
          const c = center[i] as number;
          return Math.min(c + eps, Math.max(c - eps, v - step * Math.sign(grad[i] as number)));
        }),
        box,
      );
    }
    if (net.predict64(x) !== label && (!best || linf(x, center) < best.d)) best = { x, d: linf(x, center) };
    if (!best) return { diagnostics: { steps } };
    // the shrinking radius ends on the float64 boundary, where float32 may still give the label
    const out = await outwardExample(ctx, center, best.x, label, box, [
      1,
      1 + 1e-6,
      1 + 1e-4,
      1 + 1e-3,
      1 + 1e-2,
      1.05,
    ]);
    return { example: out?.x ?? best.x, diagnostics: { steps, distance: best.d, scale: out?.scale ?? 1 } };
  },
});

/** What a caller may give `fmn`: any of its declared options (`rho attacks` lists them). */
export type FmnOptions = GivenOptions<typeof fmn.options>;
