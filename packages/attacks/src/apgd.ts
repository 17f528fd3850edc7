// APGD (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of
// diverse parameter-free attacks"), L∞: projected gradient ascent with momentum whose step size
// halves at checkpoints when the loss stalls, restarting from the best point. Two losses: the
// cross-entropy (its untargeted form rho's gradient attacks use, which keeps a gradient where
// float32 saturates) and DLR, −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3), invariant to the logits'
// scale. `apgd` answers at a fixed ε; `apgd-min` turns it into a minimum-distance attack by
// bisection on ε, each radius warm-started from the last example.
import { argmax, prng } from "@rho/models";
import * as tf from "@tensorflow/tfjs";
import type { AttackContext, Point } from "./attack.js";
import { defineAttack } from "./define.js";
import { EPS_OPTION } from "./fgsm.js";
import { lossAndGradient, lossAwayFrom } from "./gradients.js";
import { type GivenOptions, optionSchema } from "./options.js";
import { clipToBox, linf } from "./verify.js";

export type ApgdLoss = "ce" | "dlr";

/** The checkpoints (iteration indices) where APGD may halve its step: p₀ = 0, p₁ = 0.22, pⱼ₊₁ = pⱼ + max(pⱼ − pⱼ₋₁ − 0.03, 0.06). */
export function apgdCheckpoints(iterations: number): number[] {
  const p = [0, 0.22];
  while ((p[p.length - 1] as number) < 1) {
    const last = p[p.length - 1] as number;
    const prev = p[p.length - 2] as number;
    p.push(last + Math.max(last - prev - 0.03, 0.06));
  }
  // (the sums carry float rounding: 0.57 · 100 must stay 57)
  return [...new Set(p.filter((v) => v < 1).map((v) => Math.ceil(v * iterations - 1e-9)))].filter(
    (w) => w > 0,
  );
}

/**
 * DLR at logits z for label y, with the ranks taken at the current point (locally constant, so the
 * gradient is DLR's own): −(z_y − z_j) / (z_π1 − z_π3 + 1e-12), j the best other label.
 */
function dlrLoss(y: number, at: Float64Array) {
  const order = Array.from(at.keys()).sort((a, b) => (at[b] as number) - (at[a] as number));
  const j = order.find((i) => i !== y) as number;
  const [p1, p3] = [order[0] as number, order[Math.min(2, order.length - 1)] as number];
  return (logits: tf.Tensor1D): tf.Scalar => {
    const k = logits.shape[0];
    const pick = (i: number) => tf.sum(tf.mul(logits, tf.oneHot(i, k)));
    return tf.neg(tf.div(tf.sub(pick(y), pick(j)), tf.add(tf.sub(pick(p1), pick(p3)), 1e-12))) as tf.Scalar;
  };
}

/** A loss and its gradient at a point, or undefined where the point already reaches the goal. */
export type AscentProbe = (
  x: Float64Array,
) => Promise<{ value: number; grad: Float64Array } | undefined> | undefined;

/**
 * One APGD run, the attack's core: ascends `evaluate`'s value from `start` inside the set `project`
 * maps onto, with steps η·radius_i·sign(∇_i), η = 2 halving at the checkpoints where the value
 * stalls (restarting from the best point). Returns the first point `evaluate` answers undefined at,
 * else `last`, the point the final step reached (not yet evaluated).
 */
export async function apgdAscent(
  start: Float64Array,
  radius: ArrayLike<number>,
  project: (v: ArrayLike<number>) => Float64Array,
  evaluate: AscentProbe,
  iterations: number,
  eta0 = 2,
): Promise<{ found?: Float64Array; last: Float64Array }> {
  const checkpoints = new Set(apgdCheckpoints(iterations));
  const stepped = (x: Float64Array, g: Float64Array, eta: number) =>
    project(x.map((v, i) => v + eta * (radius[i] as number) * Math.sign(g[i] as number)));
  let eta = eta0;
  let prev = project(start);
  const first = await evaluate(prev);
  if (!first) return { found: prev, last: prev };
  let fPrev = first.value;
  let x = stepped(prev, first.grad, eta);
  let best = { x: prev, f: fPrev };
  let successes = 0;
  let lastCheck = 0;
  let etaAtCheck = eta;
  let bestAtCheck = fPrev;
  for (let k = 1; k < iterations; k++) {
    const at = await evaluate(x);
    if (!at) return { found: x, last: x };
    const { value: f, grad: g } = at;
    if (f > fPrev) successes++;
    if (f > best.f) best = { x, f };
    fPrev = f;
    // z = P(x + η·sign(∇)), then momentum 0.75 towards z and 0.25 along the last step
    const z = stepped(x, g, eta);
    let next = project(x.map((v, i) => v + 0.75 * ((z[i] as number) - v) + 0.25 * (v - (prev[i] as number))));
    if (checkpoints.has(k)) {
      const stalled = successes < 0.75 * (k - lastCheck) || (etaAtCheck === eta && bestAtCheck === best.f);
      etaAtCheck = eta;
      bestAtCheck = best.f;
      if (stalled) {
        eta /= 2;
        next = best.x;
      }
      successes = 0;
      lastCheck = k;
    }
    prev = x;
    x = next;
  }
  return { last: x };
}

/**
 * APGD at radius eps from `start` (default x*): returns the first point it reaches that the float64
 * network labels otherwise than x*, or undefined after `iterations` steps.
 */
export async function apgdAt(
  ctx: AttackContext,
  point: Point,
  eps: number,
  iterations: number,
  lossKind: ApgdLoss,
  box: readonly [number, number],
  start?: ArrayLike<number>,
): Promise<Float64Array | undefined> {
  const center = Float64Array.from(point.pixels as ArrayLike<number>);
  const label = point.label;
  const project = (v: ArrayLike<number>) =>
    clipToBox(
      Array.from(v, (x, i) => {
        const c = center[i] as number;
        return Math.min(c + eps, Math.max(c - eps, x));
      }),
      box,
    );
  const dlr = lossKind === "dlr" && ctx.net.outputSize >= 3;
  /** One float64 pass per point: undefined where it already fools the network, else loss and gradient. */
  const evaluate = (x: Float64Array) => {
    const z = ctx.net.forward64(x).logits;
    if (argmax(z) !== label) return undefined;
    return lossAndGradient(ctx, x, dlr ? dlrLoss(label, z) : lossAwayFrom(label));
  };
  const radius = new Float64Array(center.length).fill(eps);
  const { found, last } = await apgdAscent(
    Float64Array.from(start ?? center),
    radius,
    project,
    evaluate,
    iterations,
  );
  return found ?? (ctx.net.predict64(last) !== label ? last : undefined);
}

const LOSS = optionSchema({
  loss: {
    type: "string",
    values: ["ce", "dlr"],
    default: "ce",
    help: "ce (cross-entropy) or dlr (scale-invariant)",
  },
});

export const apgd = defineAttack({
  name: "apgd",
  family: "fixed-epsilon",
  description:
    "APGD (Croce & Hein 2020) at a fixed ε: momentum PGD whose step halves when the loss stalls; cross-entropy or DLR loss",
  options: {
    ...EPS_OPTION,
    iterations: { type: "integer", min: 1, default: 100, help: "gradient steps per start" },
    ...LOSS,
    restarts: {
      type: "integer",
      min: 1,
      default: 1,
      help: "starts: x*, then uniform random points of the ball",
    },
    seed: { type: "integer", min: 0, default: 1, help: "seed of the random restarts" },
  },
  async search({ ctx, point, box }, opts) {
    const eps = opts.eps;
    const rand = prng(opts.seed);
    const center = Array.from(point.pixels as ArrayLike<number>);
    for (let r = 0; r < opts.restarts; r++) {
      const start = r === 0 ? center : center.map((c) => c + eps * (2 * rand() - 1));
      const x = await apgdAt(ctx, point, eps, opts.iterations, opts.loss, box, start);
      if (x) return { example: x, diagnostics: { eps, restart: r } };
    }
    return { diagnostics: { eps, severity: "not estimable: a fixed-ε attack" } };
  },
});

/** What a caller may give `apgd`: any of its declared options (`rho attacks` lists them). */
export type ApgdOptions = GivenOptions<typeof apgd.options>;

export const apgdMin = defineAttack({
  name: "apgd-min",
  family: "minimum-distance",
  description:
    "APGD as a minimum-distance attack: bisection on ε, each radius warm-started from the last example",
  options: {
    maxEps: { type: "number", min: 0, exclusiveMin: true, default: 64, help: "largest ε tried, pixels" },
    iterations: { type: "integer", min: 1, default: 50, help: "gradient steps per radius" },
    ...LOSS,
    bisections: {
      type: "integer",
      min: 0,
      default: 8,
      help: "bisection rounds on ε after the first success",
    },
  },
  async search({ ctx, point, box }, opts) {
    const iterations = opts.iterations;
    const loss = opts.loss;
    let hi = opts.maxEps;
    let lo = 0;
    let best = await apgdAt(ctx, point, hi, iterations, loss, box);
    if (!best) return { diagnostics: { maxEps: hi } };
    // the example's own distance may be below the radius it was found at
    hi = linf(best, point.pixels);
    for (let b = 0; b < opts.bisections; b++) {
      const mid = (lo + hi) / 2;
      const x = await apgdAt(ctx, point, mid, iterations, loss, box, best);
      if (x) [hi, best] = [linf(x, point.pixels), x];
      else lo = mid;
    }
    return { example: best, diagnostics: { bracket: [lo, hi], iterations, loss } };
  },
});

/** What a caller may give `apgdMin`: any of its declared options (`rho attacks` lists them). */
export type ApgdMinOptions = GivenOptions<typeof apgdMin.options>;
