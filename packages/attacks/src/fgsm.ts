import { defineAttack } from "./define.js";
import { lossAndGradient, lossAwayFrom } from "./gradients.js";
import { type GivenOptions, optionSchema } from "./options.js";
import { clipToBox } from "./verify.js";

export const DEFAULT_EPS = 20;

/** A fixed-ε attack's radius option (the harness passes --eps to every attack that declares it). */
export const EPS_OPTION = optionSchema({
  eps: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: DEFAULT_EPS,
    help: "the radius, pixels (in rho eval: --eps unless given)",
  },
});

/** What a caller may give `fgsm`: its radius. */
export type FgsmOptions = GivenOptions<typeof EPS_OPTION>;

/**
 * The signed gradient method (Goodfellow et al.): x = clip(x* + ε·sign(∇ₓ loss(f(x*), ℓ*))), one
 * step. A fixed-ε attack: it answers "adversarial at ε?" and cannot estimate severity, since
 * every example it finds lies at distance ε (less only where the box clips the step).
 */
export const fgsm = defineAttack({
  name: "fgsm",
  family: "fixed-epsilon",
  options: EPS_OPTION,
  description:
    "signed gradient method: one step of ε (default 20 pixels); says whether x* is adversarial at ε, not how severely",
  async search({ ctx, point, box }, opts) {
    const eps = opts.eps;
    const diagnostics = {
      eps,
      severity: "not estimable: a fixed-ε attack; every example lies at distance ε unless the box clips it",
    };
    const { grad } = await lossAndGradient(ctx, point.pixels, lossAwayFrom(point.label));
    const x = clipToBox(
      Array.from(point.pixels as ArrayLike<number>, (v, i) => v + eps * Math.sign(grad[i] as number)),
      box,
    );
    return ctx.net.predict64(x) !== point.label ? { example: x, diagnostics } : { diagnostics };
  },
});
