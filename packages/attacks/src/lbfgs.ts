import { lbfgsb } from "@rho/solvers";
import { defineAttack } from "./define.js";
import { crossEntropy, lossAndGradient } from "./gradients.js";
import type { GivenOptions } from "./options.js";
import { TARGET_OPTION } from "./options.js";
import { linf, pickTargets } from "./verify.js";

/**
 * Smooth ‖r‖∞: (1/β)·log Σᵢ (e^{β rᵢ} + e^{−β rᵢ}), within log(2n)/β above ‖r‖∞, with its gradient
 * (a softmax over ±rᵢ). Computed with the maximum factored out, so large β·r never overflows.
 */
export function smoothLinf(r: ArrayLike<number>, beta: number): { value: number; grad: Float64Array } {
  let m = 0;
  for (let i = 0; i < r.length; i++) m = Math.max(m, Math.abs(r[i] as number));
  let sum = 0;
  const ep = new Float64Array(r.length);
  const en = new Float64Array(r.length);
  for (let i = 0; i < r.length; i++) {
    ep[i] = Math.exp(beta * ((r[i] as number) - m));
    en[i] = Math.exp(beta * (-(r[i] as number) - m));
    sum += (ep[i] as number) + (en[i] as number);
  }
  return { value: m + Math.log(sum) / beta, grad: ep.map((p, i) => (p - (en[i] as number)) / sum) };
}

function normPenalty(
  r: Float64Array,
  norm: "linf" | "l2",
  beta: number,
): { value: number; grad: Float64Array } {
  if (norm === "linf") return smoothLinf(r, beta);
  let v = 0;
  for (const x of r) v += x * x;
  return { value: v, grad: r.map((x) => 2 * x) };
}

/**
 * The baseline of Szegedy et al. as the paper ran it (§2, §6): minimise c·‖r‖ + loss(f(x* + r), ℓ)
 * over the pixel box with L-BFGS-B, ℓ the second most probable label, and search c for the
 * smallest perturbation whose example beats every other label by alpha. ρ̂ = ‖r‖∞ of the best
 * such example, verified by forward passes.
 */
export const lbfgs = defineAttack({
  name: "lbfgs",
  family: "minimum-distance",
  options: {
    ...TARGET_OPTION,
    norm: {
      type: "string",
      values: ["linf", "l2"],
      default: "linf",
      help: "perturbation penalty: smooth ‖r‖∞ or ‖r‖₂²",
    },
    alpha: {
      type: "number",
      min: 0,
      default: 0.15,
      help: "a candidate counts only if the target wins by alpha",
    },
    beta: {
      type: "number",
      min: 0,
      exclusiveMin: true,
      default: 4,
      help: "sharpness of the smooth ‖r‖∞, per pixel",
    },
    cSteps: { type: "integer", min: 1, default: 6, help: "L-BFGS-B runs in the search over c" },
    c0: { type: "number", min: 0, exclusiveMin: true, default: 0.1, help: "first c" },
    maxIterations: { type: "integer", min: 1, default: 30, help: "iteration cap of each L-BFGS-B run" },
  },
  // the paper's α for L-BFGS-B, also when generating training examples (§5)
  trainingOptions: { alpha: 0.15 },
  description:
    "L-BFGS-B baseline (Szegedy et al.): min c·‖r‖ + loss toward the target, search over c; ρ̂ = ‖r‖∞ of the best example",
  async search({ ctx, point, logits, predicted, box }, opts) {
    const net = ctx.net;
    const norm = opts.norm;
    const alpha = opts.alpha;
    const beta = opts.beta;
    const cSteps = opts.cSteps;
    const maxIterations = opts.maxIterations;
    const center = Float64Array.from(point.pixels as ArrayLike<number>);
    const confident = (x: Float64Array, target: number) => {
      const z = net.forward64(x).logits;
      return z.every((v, j) => j === target || (z[target] as number) >= v + alpha);
    };
    let best: { rho: number; target: number; x: Float64Array } | undefined;
    const runs: Record<string, unknown>[] = [];
    let evaluations = 0;
    for (const target of pickTargets(logits, predicted, opts.target)) {
      const loss = crossEntropy(target);
      let c = opts.c0;
      let lo: number | undefined; // largest c that gave an example
      let hi: number | undefined; // smallest c that did not
      for (let step = 0; step < cSteps; step++) {
        const r = await lbfgsb(
          async (x) => {
            const ce = await lossAndGradient(ctx, x, loss);
            const pen = normPenalty(
              x.map((v, i) => v - (center[i] as number)),
              norm,
              beta,
            );
            return { f: c * pen.value + ce.value, g: pen.grad.map((p, i) => c * p + (ce.grad[i] as number)) };
          },
          center,
          { lower: box[0], upper: box[1], maxIterations },
        );
        evaluations += r.evaluations;
        const found = confident(r.x, target);
        const rho = linf(r.x, center);
        runs.push({ target, c, outcome: r.outcome, iterations: r.iterations, adversarial: found, linf: rho });
        if (found && (!best || rho < best.rho)) best = { rho, target, x: r.x };
        if (found) {
          lo = c;
          c = hi === undefined ? c * 10 : Math.sqrt(c * hi);
        } else {
          hi = c;
          c = lo === undefined ? c / 10 : Math.sqrt(c * lo);
        }
      }
    }
    const diagnostics = { norm, alpha, runs, evaluations };
    return best ? { example: best.x, target: best.target, diagnostics } : { diagnostics };
  },
});

/** What a caller may give `lbfgs`: any of its declared options (`rho attacks` lists them). */
export type LbfgsAttackOptions = GivenOptions<typeof lbfgs.options>;
