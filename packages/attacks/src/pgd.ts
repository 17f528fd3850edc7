// An attack written only against what @rho/attacks exports — the example of packages/attacks/README.md,
// "Writing an attack". Iterated signed gradient (projected gradient descent in L∞) with a
// bisection on ε: ρ̂ is the smallest ε at which it finds a verified example.
import type { AttackContext, Point } from "./attack.js";
import { defineAttack } from "./define.js";
import { lossAndGradient, lossAwayFrom } from "./gradients.js";
import { type GivenOptions, optionSchema } from "./options.js";
import { clipToBox } from "./verify.js";

/** Ascends the loss of the true label in steps of sign(∇), projected onto the ε-ball and the box. */
export async function pgdAt(
  ctx: AttackContext,
  point: Point,
  eps: number,
  steps: number,
  box: readonly [number, number],
) {
  const center = Float64Array.from(point.pixels as ArrayLike<number>);
  const loss = lossAwayFrom(point.label);
  let x: Float64Array = center;
  for (let s = 0; s < steps; s++) {
    const { grad } = await lossAndGradient(ctx, x, loss);
    const stepped = x.map((v, i) => {
      const moved = v + ((2.5 * eps) / steps) * Math.sign(grad[i] as number);
      const c = center[i] as number;
      return Math.min(c + eps, Math.max(c - eps, moved));
    });
    x = clipToBox(stepped, box);
    if (ctx.net.predict64(x) !== point.label) return x;
  }
  return undefined;
}

/** The search's options (alp-pgd runs the same search to pick its region). */
export const PGD_SEARCH_OPTIONS = optionSchema({
  maxEps: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 64,
    help: "largest ε the search tries, pixels",
  },
  steps: { type: "integer", min: 1, default: 10, help: "signed-gradient steps per ε" },
  bisections: { type: "integer", min: 0, default: 6, help: "bisection rounds on ε after the first success" },
});

/** What a caller may give `pgd` (every option has a default). */
export type PgdOptions = GivenOptions<typeof PGD_SEARCH_OPTIONS>;

export const pgd = defineAttack({
  name: "pgd",
  family: "minimum-distance",
  options: PGD_SEARCH_OPTIONS,

  description: "iterated signed gradient (L∞ PGD) with a bisection on ε; the example attack of the README",
  async search({ ctx, point, box }, opts) {
    const steps = opts.steps;
    let hi = opts.maxEps;
    let lo = 0;
    let best = await pgdAt(ctx, point, hi, steps, box);
    if (!best) return { diagnostics: { maxEps: hi } };
    for (let b = 0; b < opts.bisections; b++) {
      const mid = (lo + hi) / 2;
      const x = await pgdAt(ctx, point, mid, steps, box);
      if (x) [hi, best] = [mid, x];
      else lo = mid;
    }
    return { example: best, diagnostics: { bracket: [lo, hi], steps } };
  },
});
