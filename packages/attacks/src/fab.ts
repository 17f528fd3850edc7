// FAB, the Fast Adaptive Boundary attack (Croce & Hein 2020), L∞, untargeted (or FAB-T toward one
// label: its boundary alone): at the current
// point x, linearise every margin f_j = z_j − z_ℓ and take the nearest linearised boundary π (the
// DeepFool step); project both x and the original x* onto π within the box, and move to a convex
// combination of the two projections (extrapolated by η) biased toward x*'s by
// α = min(‖δ_x‖ / (‖δ_x‖ + ‖δ_x*‖), α_max): the step stays near x* while it crosses. On an
// example, step back toward x* by β and keep the nearest. Restarts begin at random points of the
// ball of the best distance so far.
import { prng } from "@rho/models";
import { defineAttack } from "./define.js";
import { batchLogits, marginGradients } from "./gradients.js";
import { type GivenOptions, TARGET_OPTION } from "./options.js";
import { clipToBox, linf, outwardExample, pickTargets } from "./verify.js";

/**
 * The smallest L∞ step δ with w·(z + δ) = target and z + δ in the box: δ_i = s·sign(w_i)·min(t,
 * room_i) for the side s the target lies on, t found by bisection on the monotone Σ|w_i|·min(t,
 * room_i). When the box cannot reach the hyperplane, the step that gets closest.
 */
export function projectToHyperplane(
  z: Float64Array,
  w: Float64Array,
  target: number,
  box: readonly [number, number],
): Float64Array {
  let value = 0;
  for (let i = 0; i < z.length; i++) value += (w[i] as number) * (z[i] as number);
  const need = target - value;
  const up = need > 0 ? 1 : -1;
  // room along each pixel's useful direction (sign(w_i)·up)
  const room = Float64Array.from(z, (v, i) => {
    const dir = Math.sign(w[i] as number) * up;
    return dir > 0 ? box[1] - v : dir < 0 ? v - box[0] : 0;
  });
  const reach = (t: number) => {
    let s = 0;
    for (let i = 0; i < z.length; i++) s += Math.abs(w[i] as number) * Math.min(t, room[i] as number);
    return s;
  };
  let hi = Math.max(0, ...room);
  if (reach(hi) > Math.abs(need)) {
    let lo = 0;
    for (let k = 0; k < 60; k++) {
      const mid = (lo + hi) / 2;
      if (reach(mid) >= Math.abs(need)) hi = mid;
      else lo = mid;
    }
  }
  return Float64Array.from(z, (_, i) => Math.sign(w[i] as number) * up * Math.min(hi, room[i] as number));
}

export const fab = defineAttack({
  name: "fab",
  family: "minimum-distance",
  description:
    "FAB (Croce & Hein 2020) in L∞: steps to the linearised boundary biased toward x*, stepping back after each example; the nearest kept",
  options: {
    target: {
      ...TARGET_OPTION.target,
      default: "all",
      help: 'labels whose boundaries it steps to: "all" (untargeted FAB, the default), "second" (FAB-T toward the second most probable) or a label',
    },
    steps: { type: "integer", min: 1, default: 100, help: "steps per restart" },
    restarts: {
      type: "integer",
      min: 1,
      default: 1,
      help: "runs; each after the first starts at a random point",
    },
    alphaMax: {
      type: "number",
      min: 0,
      max: 1,
      default: 0.1,
      help: "largest weight of the projection of x* in a step",
    },
    eta: { type: "number", min: 1, default: 1.05, help: "extrapolation of each projection" },
    beta: {
      type: "number",
      min: 0,
      max: 1,
      default: 0.9,
      help: "after an example, the step back toward x* keeps this share of the way",
    },
    seed: { type: "integer", min: 0, default: 1, help: "seed of the restarts' starting points" },
  },
  async search({ ctx, point, box, logits }, opts) {
    const label = point.label;
    const x0 = Float64Array.from(point.pixels as ArrayLike<number>);
    const others = pickTargets(logits, label, opts.target);
    const eta = opts.eta;
    const alphaMax = opts.alphaMax;
    const beta = opts.beta;
    const rand = prng(opts.seed);
    let best: Float64Array | undefined;
    let bestDist = Number.POSITIVE_INFINITY;
    let steps = 0;
    for (let run = 0; run < opts.restarts; run++) {
      // restarts from a random point of the ball of the best distance so far (of 8 px before any)
      const radius = Number.isFinite(bestDist) ? bestDist / 2 : 8;
      let x =
        run === 0
          ? x0
          : clipToBox(
              x0.map((v) => v + (2 * rand() - 1) * radius),
              box,
            );
      for (let k = 0; k < opts.steps; k++, steps++) {
        // the nearest linearised boundary f_j(x) + ∇f_j·(z − x) = 0, f_j = z_j − z_ℓ
        const [grads, [z]] = await Promise.all([
          marginGradients(ctx, x, label, others),
          batchLogits(ctx, [x]),
        ]);
        let pick: { w: Float64Array; b: number; dist: number } | undefined;
        for (const [r, j] of others.entries()) {
          const w = (grads[r] as Float64Array).map((g) => -g);
          const f = (z?.[j] as number) - (z?.[label] as number);
          let l1 = 0;
          let wx = 0;
          for (let i = 0; i < w.length; i++) {
            l1 += Math.abs(w[i] as number);
            wx += (w[i] as number) * (x[i] as number);
          }
          if (l1 === 0) continue;
          const dist = Math.abs(f) / l1;
          if (!pick || dist < pick.dist) pick = { w, b: f - wx, dist };
        }
        if (!pick) break;
        // the boundary as w·z = −b, a little beyond it (the label must change, not tie)
        const target = -pick.b + 1e-4;
        const dx = projectToHyperplane(x, pick.w, target, box);
        const d0 = projectToHyperplane(x0, pick.w, target, box);
        const nx = dx.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const n0 = d0.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const alpha = nx + n0 > 0 ? Math.min(nx / (nx + n0), alphaMax) : 0;
        const current = x;
        x = clipToBox(
          current.map(
            (v, i) =>
              (1 - alpha) * (v + eta * (dx[i] as number)) +
              alpha * ((x0[i] as number) + eta * (d0[i] as number)),
          ),
          box,
        );
        if (ctx.net.predict64(x) !== label) {
          const d = linf(x, x0);
          if (d < bestDist) {
            bestDist = d;
            best = x;
          }
          const at = x;
          x = clipToBox(
            at.map((v, i) => (1 - beta) * (x0[i] as number) + beta * v),
            box,
          );
        }
      }
    }
    const target = others.length === 1 ? { target: others[0] as number } : {};
    if (!best) return { ...target, diagnostics: { steps } };
    // float32 may still give the label at the float64 example: a little farther along the ray
    const found = await outwardExample(ctx, x0, best, label, box, [
      1,
      1 + 1e-6,
      1 + 1e-4,
      1 + 1e-3,
      1 + 1e-2,
    ]);
    return { example: found ? found.x : best, ...target, diagnostics: { steps, scale: found?.scale ?? 1 } };
  },
});

/** What a caller may give `fab`: any of its declared options (`rho attacks` lists them). */
export type FabOptions = GivenOptions<typeof fab.options>;
