import { LinearRegion } from "@rho/encoders";
import { argmax } from "@rho/models";
import { defineAttack } from "./define.js";
import { descend, descentDiagnostics, descentOptions } from "./descent.js";
import type { GivenOptions } from "./options.js";
import { PGD_SEARCH_OPTIONS, pgdAt } from "./pgd.js";
import { LP_OPTIONS, lpFailure, nearestInRegion, regionLpOptions } from "./region-lp.js";
import { linf } from "./verify.js";

/**
 * ALP in the region a gradient search reaches. x*'s own linear region rarely holds an adversarial
 * example (see alp), and walking regions by LP costs an LP per region (alp-walk). Here an L∞
 * signed-gradient search (pgd, with bisection on ε) only picks the region: the linear region
 * around its example, where another label wins. ρ̂ is then the optimum of the ALP LP over that
 * region — min ‖x − x*‖∞ with that label winning by the margin — an exact LP optimum over a
 * genuine linear region, so a valid upper bound on ρ, and never above the gradient example's
 * distance (that example lies in the region). The target is the label the search reaches.
 */
export const alpPgd = defineAttack({
  name: "alp-pgd",
  family: "minimum-distance",
  // the target is the label the gradient search reaches: no target option
  options: { ...LP_OPTIONS, ...descentOptions(true), ...PGD_SEARCH_OPTIONS },
  trainingOptions: { margin: 3 },
  description:
    "ALP LP over the linear region a signed-gradient (PGD) search reaches: ρ̂ is that LP's optimum, ≤ the gradient example's distance",
  async search({ ctx, point, predicted, box }, opts) {
    const net = ctx.net;
    const margin = opts.margin;
    const steps = opts.steps;
    let hi = opts.maxEps;
    let lo = 0;
    let landing = await pgdAt(ctx, point, hi, steps, box);
    if (!landing)
      return {
        diagnostics: { maxEps: hi, message: `the gradient search found no example within ε = ${hi}` },
      };
    for (let b = 0; b < opts.bisections; b++) {
      const mid = (lo + hi) / 2;
      const x = await pgdAt(ctx, point, mid, steps, box);
      if (x) [hi, landing] = [mid, x];
      else lo = mid;
    }
    const center = Float64Array.from(point.pixels as ArrayLike<number>);
    const target = argmax(net.forward64(landing).logits);
    const region = new LinearRegion(net, landing, { ties: opts.ties });
    const lp = await regionLpOptions(opts);
    const query = { net, center, box, label: predicted, target, margin, lp, ties: opts.ties };
    const r = await nearestInRegion(region, query);
    const diagnostics = {
      gradientRho: linf(landing, center),
      bracket: [lo, hi],
      regionRows: region.size,
      ties: region.ties,
      margin,
      lpStatus: r.status,
      rounds: r.rounds,
    };
    if (r.status === "infeasible")
      // the landing point wins by less than the margin and no point of its region wins by more
      return {
        diagnostics: { ...diagnostics, message: "the reached region holds no example with the margin" },
      };
    if (!r.x) return { ...lpFailure("the region LP", r), diagnostics };
    if (opts.descent) {
      const from = { x: r.x, rho: r.rho as number, region };
      const d = await descend(query, from, opts);
      return {
        example: d.x,
        target,
        diagnostics: { ...diagnostics, lpRho: r.rho, descent: descentDiagnostics(d) },
      };
    }
    return { example: r.x, target, diagnostics: { ...diagnostics, lpRho: r.rho } };
  },
});

/** What a caller may give `alpPgd`: any of its declared options (`rho attacks` lists them). */
export type AlpPgdOptions = GivenOptions<typeof alpPgd.options>;
