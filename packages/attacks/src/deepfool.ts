// DeepFool for L∞ (Moosavi-Dezfooli et al. 2016): at x, linearise every margin z_k − z_ℓ and step
// to the nearest of the linearised boundaries — in L∞ the distance to {f_k + w_k·r = 0} is
// |f_k| / ‖w_k‖₁, reached by r = |f_k| / ‖w_k‖₁ · sign(w_k) — until the label changes. A line search
// on the segment from x* then takes back the overshoot the last step may carry.
import { defineAttack } from "./define.js";
import { batchLogits, marginGradients } from "./gradients.js";
import type { GivenOptions } from "./options.js";
import { clipToBox, outwardExample } from "./verify.js";

export const deepfool = defineAttack({
  name: "deepfool",
  family: "minimum-distance",
  description:
    "DeepFool in L∞: steps to the nearest linearised decision boundary until the label changes, then a line search back towards x*",
  options: {
    maxIters: { type: "integer", min: 1, default: 50, help: "linearisation steps at most" },
    overshoot: {
      type: "number",
      min: 0,
      default: 0.02,
      help: "how much further than the linearised boundary each step goes",
    },
    lineSearch: {
      type: "integer",
      min: 0,
      default: 20,
      help: "bisection steps from x* towards the example (0: none)",
    },
  },
  async search({ ctx, point, box, logits }, opts) {
    const label = point.label;
    const x0 = Float64Array.from(point.pixels as ArrayLike<number>);
    const k = logits.length;
    const overshoot = opts.overshoot;
    let x: Float64Array = x0;
    let iterations = 0;
    for (; iterations < opts.maxIters; iterations++) {
      if (ctx.net.predict64(x) !== label) break;
      let best: { dist: number; step: Float64Array } | undefined;
      // every margin z_ℓ − z_j's gradient in one batched backward pass, f_j = z_j − z_ℓ (< 0 while
      // ℓ wins) from the same float32 model; w_j = ∇f_j is the negated gradient
      const others = Array.from({ length: k }, (_, j) => j).filter((j) => j !== label);
      const [grads, [z]] = await Promise.all([marginGradients(ctx, x, label, others), batchLogits(ctx, [x])]);
      for (const [r, j] of others.entries()) {
        const value = (z?.[j] as number) - (z?.[label] as number);
        const grad = (grads[r] as Float64Array).map((g) => -g);
        // only pixels that can move the way the gradient points count (a pixel at a bound of the
        // box stays there): the boundary's distance over the box's free directions
        const free = grad.map((g, i) =>
          (g > 0 && (x[i] as number) < box[1]) || (g < 0 && (x[i] as number) > box[0]) ? g : 0,
        );
        let l1 = 0;
        for (const g of free) l1 += Math.abs(g);
        if (l1 === 0) continue;
        const dist = (Math.abs(value) + 1e-4) / l1;
        if (!best || dist < best.dist) best = { dist, step: free.map((g) => dist * Math.sign(g)) };
      }
      if (!best) return { diagnostics: { iterations, reason: "no margin can move within the box" } };
      const step = best.step;
      const current = x;
      x = clipToBox(
        current.map((v, i) => v + (1 + overshoot) * (step[i] as number)),
        box,
      );
    }
    if (ctx.net.predict64(x) === label) return { diagnostics: { iterations } };
    // the smallest scale of x − x* on the segment that still changes the label
    let lo = 0;
    let hi = 1;
    const at = (t: number) => x0.map((v, i) => v + t * ((x[i] as number) - v));
    for (let s = 0; s < opts.lineSearch; s++) {
      const mid = (lo + hi) / 2;
      if (ctx.net.predict64(at(mid)) !== label) hi = mid;
      else lo = mid;
    }
    // the bisection ends on the float64 boundary, where float32 may still give the label (past
    // the last step too: a step that barely crossed in float64 may not have in float32)
    const found = await outwardExample(ctx, x0, x, label, box, [
      hi,
      hi * (1 + 1e-6),
      hi * (1 + 1e-4),
      hi * (1 + 1e-3),
      hi * (1 + 1e-2),
      1,
      1.05,
      1.25,
      1.5,
      2,
    ]);
    if (found) return { example: found.x, diagnostics: { iterations, scale: found.scale } };
    return { example: x, diagnostics: { iterations, scale: 1 } };
  },
});

/** What a caller may give `deepfool`: any of its declared options (`rho attacks` lists them). */
export type DeepFoolOptions = GivenOptions<typeof deepfool.options>;
