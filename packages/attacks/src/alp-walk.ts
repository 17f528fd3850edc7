import type { LinearProgram } from "@rho/constraints";
import { LinearRegion } from "@rho/encoders";
import { type AlpOptions, DEFAULT_MARGIN } from "./alp.js";
import { defineAttack } from "./define.js";
import { nearestInRegion, regionLpOptions, seedRows, solveOverRegion, targetRows } from "./region-lp.js";
import { clipToBox, linf, pickTargets } from "./verify.js";

export interface AlpWalkOptions extends AlpOptions {
  /** Radius of the ε-ball the walk stays in, pixels (default 32). */
  readonly maxEps?: number;
  /** Bisection rounds on the ball's radius below the best ρ̂ found (default 2). */
  readonly bisections?: number;
  /** Linear regions visited per walk at most (default 20). `timeLimit` defaults to 60 s per LP here. */
  readonly maxRegions?: number;
}

/** Per-LP time limit of the walk unless `timeLimit` says otherwise (a stuck LP ends that walk). */
export const DEFAULT_WALK_LP_SECONDS = 60;

/** How far past a region's boundary a step lands, in pixels: far enough to change region, too little to matter. */
const CROSS = 1e-4;

interface Walk {
  /** The final region's exact ρ̂ (distance to x*) and its example, when the target won. */
  found?: { rho: number; x: Float64Array };
  regions: number;
  lps: number;
  reason: string;
  /** The best margin min_j (z_ℓ − z_j) in each region visited. */
  margins: number[];
}

/**
 * ALP beyond one region. From x*, repeatedly: maximise the target margin min_j (z_ℓ − z_j) over
 * the current linear region ∩ the ε-ball (always feasible: the current point is in it), move to
 * the optimum — on the region's boundary or the ball's — and step just past it into the next
 * region, until the target wins. Then minimise ‖x − x*‖∞ over that final region with the ALP
 * LP: an exact LP optimum over a genuine linear region (it need not contain x*), so a valid
 * upper bound on ρ. The margin never decreases from one region to the next, since each region's
 * LP starts from a point where the previous margin is already reached.
 */
export const alpWalk = defineAttack<AlpWalkOptions>({
  name: "alp-walk",
  trainingOptions: { margin: 3 },
  description:
    "ALP beyond x*'s region: walks linear regions towards the target inside an ε-ball, then solves the ALP LP in the final region",
  async search({ ctx, point, logits, predicted, box }, opts) {
    const net = ctx.net;
    const margin = opts.margin ?? DEFAULT_MARGIN;
    const maxRegions = opts.maxRegions ?? 20;
    // a walk solves many LPs: one stuck on a degenerate region must not stall the whole point
    const lp = await regionLpOptions({ ...opts, timeLimit: opts.timeLimit ?? DEFAULT_WALK_LP_SECONDS });
    const center = Float64Array.from(point.pixels as ArrayLike<number>);
    const n = net.inputSize;
    const trueMargin = (x: Float64Array, target: number) => {
      const z = net.forward64(x).logits;
      let m = Number.POSITIVE_INFINITY;
      z.forEach((v, j) => {
        if (j !== target) m = Math.min(m, (z[target] as number) - v);
      });
      return m;
    };
    let lps = 0;

    /** The ALP LP over a region around another point: min ‖x − x*‖∞ with the target winning. */
    const alpIn = async (region: LinearRegion, target: number) => {
      lps++;
      return nearestInRegion(region, center, box, target, margin, lp);
    };

    const walk = async (eps: number, target: number): Promise<Walk> => {
      // the ε-ball and the box are column bounds; column n is the margin m, maximised
      const colLower = new Float64Array(n + 1);
      const colUpper = new Float64Array(n + 1);
      center.forEach((c, i) => {
        colLower[i] = Math.max(box[0], c - eps);
        colUpper[i] = Math.min(box[1], c + eps);
      });
      colLower[n] = Number.NEGATIVE_INFINITY;
      colUpper[n] = Number.POSITIVE_INFINITY;
      const objective = new Float64Array(n + 1);
      objective[n] = 1;
      let at = center;
      let lastMargin = Number.NEGATIVE_INFINITY;
      const margins: number[] = [];
      for (let regions = 1; regions <= maxRegions; regions++) {
        const region = new LinearRegion(net, at, { ties: opts.ties ?? "first" });
        const base: LinearProgram = {
          numCols: n + 1,
          sense: "max",
          objective,
          objectiveOffset: 0,
          colLower,
          colUpper,
          rows: targetRows(region, target, 0, n),
        };
        const { result } = await solveOverRegion(region, base, lp, seedRows(region, lp));
        lps++;
        if (result.status !== "optimal" || !result.primal)
          return {
            regions,
            lps,
            margins,
            reason: `margin LP ended ${result.status}${result.message ? `: ${result.message}` : ""}`,
          };
        const m = result.objective as number;
        margins.push(m);
        const next = clipToBox(result.primal.subarray(0, n), box);
        if (m >= margin) {
          const final = await alpIn(region, target);
          if (final.x)
            return {
              found: { rho: final.rho as number, x: final.x },
              regions,
              lps,
              margins,
              reason: "target wins",
            };
          return { regions, lps, margins, reason: `final region's ALP LP ended ${final.status}` };
        }
        const step = linf(next, at);
        if (step < 1e-9 || m <= lastMargin + 1e-12)
          return {
            regions,
            lps,
            margins,
            reason: `stuck at margin ${m.toPrecision(4)} (the ball's edge or no better region)`,
          };
        lastMargin = m;
        // Cross the boundary along the move: just past it, or further along the same ray while the
        // network's own margin keeps growing (jumping regions the LP would only creep through).
        // Where the walk lands only picks the next region; every ρ̂ still comes from an LP.
        const ray = (d: number) =>
          Float64Array.from(next, (v, i) => {
            const moved = v + (d * (v - (at[i] as number))) / step;
            return Math.min(colUpper[i] as number, Math.max(colLower[i] as number, moved));
          });
        let landing = ray(CROSS);
        let landingMargin = trueMargin(landing, target);
        for (let d = 10 * CROSS; d <= 2 * eps; d *= 4) {
          const y = ray(d);
          const ym = trueMargin(y, target);
          if (ym <= landingMargin) break;
          [landing, landingMargin] = [y, ym];
        }
        at = landing;
      }
      return {
        regions: maxRegions,
        lps,
        margins,
        reason: `no region with the target winning within ${maxRegions} regions`,
      };
    };

    const own = new LinearRegion(net, center, { ties: opts.ties ?? "first" });
    const perTarget: Record<string, unknown>[] = [];
    let best: { rho: number; target: number; x: Float64Array } | undefined;
    for (const target of pickTargets(logits, predicted, opts.target)) {
      // the paper's estimate, for comparison: ALP in x*'s own region
      const inOwn = await alpIn(own, target);
      const walks: Record<string, unknown>[] = [];
      let hi = opts.maxEps ?? 32;
      let lo = 0;
      let found: { rho: number; x: Float64Array } | undefined = inOwn.x
        ? { rho: inOwn.rho as number, x: inOwn.x }
        : undefined;
      if (found) hi = Math.min(hi, found.rho);
      /** Walks inside the ε-ball and records the walk in the diagnostics. */
      const walkAt = async (eps: number): Promise<Walk> => {
        const w = await walk(eps, target);
        const { found: f, regions, reason, margins } = w;
        walks.push({ eps, regions, rho: f?.rho ?? null, reason, margins });
        return w;
      };
      const first = await walkAt(hi);
      if (first.found && (!found || first.found.rho < found.rho)) found = first.found;
      if (found) {
        hi = Math.min(hi, found.rho);
        for (let b = 0; b < (opts.bisections ?? 2); b++) {
          const mid = (lo + hi) / 2;
          const w = await walkAt(mid);
          if (w.found && w.found.rho < found.rho) {
            found = w.found;
            hi = w.found.rho;
          } else if (!w.found) lo = mid;
          else hi = mid;
        }
      }
      perTarget.push({
        target,
        ownRegionFeasible: inOwn.status === "optimal",
        ownRegionStatus: inOwn.status,
        ownRegionRho: inOwn.rho ?? null,
        walkedRho: found?.rho ?? null,
        walks,
      });
      if (found && (!best || found.rho < best.rho)) best = { rho: found.rho, target, x: found.x };
    }
    const diagnostics = {
      ties: own.ties,
      margin,
      lpsSolved: lps,
      regionsVisited: perTarget.reduce(
        (s, t) => s + (t.walks as { regions: number }[]).reduce((a, w) => a + w.regions, 0),
        0,
      ),
      perTarget,
    };
    return best ? { example: best.x, target: best.target, diagnostics } : { diagnostics };
  },
});
