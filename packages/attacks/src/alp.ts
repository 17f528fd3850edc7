import type { LinearProgram } from "@rho/constraints";
import { concatRows, minLinfProgram } from "@rho/constraints";
import { LinearRegion } from "@rho/encoders";
import { defineAttack } from "./define.js";
import { descend, descentDiagnostics, descentOptions } from "./descent.js";
import type { GivenOptions } from "./options.js";
import { TARGET_OPTION } from "./options.js";
import { LP_OPTIONS, lpFailure, regionFormulation, regionLpOptions } from "./region-lp.js";
import { clipToBox, linf, pickTargets } from "./verify.js";

export { DEFAULT_MARGIN } from "./region-lp.js";

/**
 * alp's default search radius, pixels. Bounding t lets presolve confine every pixel to the ball,
 * and a region with no example that close (most of the shipped LeNet's) is then found out from
 * the rows' bounds in a fraction of a second instead of thousands of simplex iterations
 * (benchmarks/alp/README.md, "Results with t bounded"), with the same ρ̂ wherever the unbounded
 * LP's is within it. Table 1 and the frequencies at ε = 20 need no more.
 */
export const MAX_EPS = 32;

/**
 * The paper's ALP (§4): ρ̂(f, x*, ℓ) = min t over x*'s linear region with the target label ℓ
 * winning by `margin`, |x − x*|∞ ≤ t and the pixel box — an LP over the pixels and t, its rows
 * composed through the network (`LinearRegion`). Solved by iterative constraint solving (the
 * target and norm rows first, the region's inequalities as the current solution violates them)
 * or, with iterative: false, in one go.
 */
export const alp = defineAttack({
  name: "alp",
  family: "minimum-distance",
  options: {
    ...TARGET_OPTION,
    ...LP_OPTIONS,
    ...descentOptions(false),
    maxEps: {
      type: "number",
      min: 0,
      exclusiveMin: true,
      default: MAX_EPS,
      help: "look for examples within this L∞ distance only, pixels (t ≤ maxEps): far faster where the region holds none that close; 255: the paper's unbounded LP",
    },
  },
  // the paper fine-tunes on ALP examples found with α = 3.0 (§5)
  trainingOptions: { margin: 3 },
  description:
    "LP over x*'s linear region (Bastani et al. §4) with iterative constraint solving; ρ̂ is the LP optimum, ∞ when the region holds no example",
  async search({ ctx, point, logits, predicted, box }, opts) {
    const net = ctx.net;
    const margin = opts.margin;
    const region = new LinearRegion(net, point.pixels, { ties: opts.ties });
    const maxEps = opts.maxEps;
    const norm = minLinfProgram(region.center, box, maxEps);
    const perTarget: Record<string, unknown>[] = [];
    const lp = await regionLpOptions(opts);
    const form = regionFormulation(region, lp, 1);
    const diagnostics = {
      maxEps,
      ties: region.ties,
      regionRows: region.size,
      margin,
      iterative: lp.iterative,
      formulation: form.name,
      perTarget,
    };
    let best: { rho: number; target: number; x: Float64Array } | undefined;
    for (const target of pickTargets(logits, predicted, opts.target)) {
      const base: LinearProgram = {
        ...norm,
        rows: concatRows(norm.rows, form.targetRows(target, margin)),
      };
      const { result, rounds, regionRowsUsed, solverSeconds, iterations } = await form.solve(base, lp);
      perTarget.push({
        target,
        status: result.status,
        rounds,
        regionRowsUsed,
        lpSeconds: solverSeconds,
        ...(iterations !== undefined ? { iterations } : {}),
        objective: result.objective,
      });
      if (result.status === "optimal" && result.primal) {
        const x = clipToBox(result.primal.subarray(0, net.inputSize), box);
        const rho = linf(x, region.center);
        if (!best || rho < best.rho) best = { rho, target, x };
      } else if (result.status !== "infeasible") {
        return { ...lpFailure(`target ${target}: the LP`, result), diagnostics };
      }
    }
    if (!best)
      return {
        diagnostics: {
          ...diagnostics,
          message:
            maxEps >= box[1] - box[0]
              ? "no adversarial example in the linear region"
              : `no adversarial example in the linear region within ε = ${maxEps}`,
        },
      };
    if (opts.descent) {
      const query = {
        net,
        center: region.center,
        box,
        label: predicted,
        target: best.target,
        margin,
        lp,
        ties: opts.ties,
      };
      const d = await descend(query, { ...best, region }, opts);
      return {
        example: d.x,
        target: best.target,
        diagnostics: { ...diagnostics, descent: descentDiagnostics(d) },
      };
    }
    return { example: best.x, target: best.target, diagnostics };
  },
});

/** What a caller may give `alp`: any of its declared options (`rho attacks` lists them). */
export type AlpOptions = GivenOptions<typeof alp.options>;
