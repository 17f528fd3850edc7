import { LinearRegion } from "@rho/encoders";
import type { AttackContext } from "./attack.js";
import { defineAttack } from "./define.js";
import { descend, descentDiagnostics, descentOptions } from "./descent.js";
import { batchLogits, marginGradients } from "./gradients.js";
import type { GivenOptions } from "./options.js";
import { TARGET_OPTION } from "./options.js";
import { LP_OPTIONS, lpFailure, nearestInRegion, regionLpOptions } from "./region-lp.js";
import { linf, pickTargets } from "./verify.js";
import { rayStep, regionLpStep, type StepContext } from "./walk-steps.js";

/** Per-LP time limit of the "region-lp" step unless `timeLimit` says otherwise (a stuck LP ends that walk). */
export const DEFAULT_WALK_LP_SECONDS = 60;

/** How far past a region's boundary the first landing point lies, in pixels. */
const CROSS = 1e-4;

/** Each bisection round walks a ball at least this fraction of the best ρ̂ so far. */
const SHRINK = 0.9;
/**
 * Bisection ends once the bracket [lo, hi] on the ball's radius is this narrow (a share of hi): the
 * final LP moves ρ̂ within its region anyway, and on NiN a walk costs seconds. `bisections` is the
 * most walks, so a large one lets the shrinking run on until a walk fails without wasting walks after.
 */
const BRACKET = 0.02;

/** A walk whose margin rose by less than STALL_GAIN (relative) over STALL_STEPS steps stops. */
const STALL_STEPS = 3;
const STALL_GAIN = 0.02;

interface Walk {
  /** Where the target won by the margin, if it did. */
  reached?: Float64Array;
  regions: number;
  reason: string;
  /** The network's margin min_j (z_ℓ − z_j) after each step. */
  margins: number[];
}

/**
 * ALP beyond one region. From x*, repeatedly: linearise the network at the current point (exact on
 * its linear region), solve the LP maximising the target margin min_j (z_ℓ − z_j) over the ε-ball,
 * go to where the segment towards its optimum leaves the current region, and step past that
 * boundary along the segment to the point where the network's own margin is largest — into the
 * next region or several regions on. Stop when the target wins; then minimise ‖x − x*‖∞ over that
 * final region with the ALP LP: an exact LP optimum over a genuine linear region (it need not
 * contain x*), so a valid upper bound on ρ. The margin rises with every step, or the walk stops.
 */
export const alpWalk = defineAttack({
  name: "alp-walk",
  family: "minimum-distance",
  options: {
    ...TARGET_OPTION,
    ...LP_OPTIONS,
    ...descentOptions(true),
    step: {
      type: "string",
      values: ["ray", "region-lp"],
      default: "ray",
      help: "ray: margin LP on the region's affine model, followed to the boundary; region-lp: margin LP over region ∩ ball",
    },
    reach: {
      type: "number",
      min: 0,
      exclusiveMin: true,
      default: 0.25,
      help: "ray steps look at most reach × ε away from the current point",
    },
    maxRegions: { type: "integer", min: 1, default: 20, help: "regions a walk may visit" },
    maxEps: {
      type: "number",
      min: 0,
      exclusiveMin: true,
      default: 32,
      help: "radius of the first ball, pixels",
    },
    bisections: {
      type: "integer",
      min: 0,
      default: 2,
      help: `shrinking walks after the first example, at most (they end once a failed walk brackets ρ̂ within ${BRACKET * 100} %)`,
    },
    firstLp: {
      type: "boolean",
      default: true,
      help: "solve the ALP LP in the first walk's region too, its ρ̂ bounding the bisections (false: they start from the walked distance, and one LP a point, in the smallest ball's region, gives ρ̂; the walked distance is loose, so raise bisections with it: 40 on NiN, benchmarks/alp)",
    },
    ownRegion: {
      type: "boolean",
      default: false,
      help: "also solve the ALP LP of x*'s own region (what alp costs)",
    },
    nearest: {
      type: "integer",
      min: 0,
      default: 0,
      help: "with target all: walk toward only this many labels, those whose linearised boundary at x* is nearest in L∞ (DeepFool's estimate |z_ℓ − z_k| / ‖∇(z_ℓ − z_k)‖₁); 0: every label",
    },
  },
  trainingOptions: { margin: 3 },
  description:
    "ALP beyond x*'s region: walks linear regions towards the target inside an ε-ball, then solves the ALP LP in the final region",
  async search({ ctx, point, logits, predicted, box }, opts) {
    const net = ctx.net;
    const margin = opts.margin;
    const maxRegions = opts.maxRegions;
    const ties = opts.ties;
    const mode = opts.step;
    const reachFraction = opts.reach;
    const lp = await regionLpOptions({
      ...opts,
      timeLimit: opts.timeLimit ?? (mode === "region-lp" ? DEFAULT_WALK_LP_SECONDS : undefined),
    });
    const center = Float64Array.from(point.pixels as ArrayLike<number>);
    const marginOf = (z: ArrayLike<number>, target: number) => {
      let m = Number.POSITIVE_INFINITY;
      for (let j = 0; j < z.length; j++)
        if (j !== target) m = Math.min(m, (z[target] as number) - (z[j] as number));
      return m;
    };
    let lps = 0;
    /** Seconds in ALP LPs (region rows and solves), apart from the walks. */
    let alpSeconds = 0;
    /** A final LP that failed although its region holds the walk's point (a solver failure). */
    let failure: { error: string; timeout?: boolean } | undefined;

    /** The ALP LP over a region around another point: min ‖x − x*‖∞ with the target winning. */
    const alpIn = async (region: LinearRegion, target: number) => {
      lps++;
      const t0 = performance.now();
      const r = await nearestInRegion(region, {
        net,
        center,
        box,
        label: predicted,
        target,
        margin,
        lp,
        ties,
      });
      alpSeconds += (performance.now() - t0) / 1000;
      return r;
    };

    const step = mode === "ray" ? rayStep : regionLpStep;
    const stepCtx: StepContext = { ctx, box, ties, lp };

    /** Walks from `start` (x* or a larger ball's example) projected into the ε-ball. */
    const walk = async (eps: number, target: number, start: Float64Array): Promise<Walk> => {
      const lower = Float64Array.from(center, (c) => Math.max(box[0], c - eps));
      const upper = Float64Array.from(center, (c) => Math.min(box[1], c + eps));
      const inBall = (v: number, i: number) => Math.min(upper[i] as number, Math.max(lower[i] as number, v));
      let at: Float64Array = Float64Array.from(start, inBall);
      // the point's linear region (without memoised gradients: only forward passes are needed)
      // gives the step its inequalities and the walk its float64 logits, in one forward pass
      const regionAt = (x: Float64Array) => new LinearRegion(net, x, { ties, memoBudget: 0 });
      const logitsOf = (r: LinearRegion) => r.activations[r.activations.length - 1] as Float64Array;
      let atRegion = regionAt(at);
      let atMargin = marginOf(logitsOf(atRegion), target);
      const margins: number[] = [];
      for (let regions = 1; regions <= maxRegions; regions++) {
        lps++;
        const aim = await step(stepCtx, {
          at,
          region: atRegion,
          target,
          lower,
          upper,
          reach: eps * reachFraction,
        });
        if (typeof aim === "string") return { regions, margins, reason: aim };
        const len = linf(aim.to, at);
        if (len < 1e-9) return { regions, margins, reason: "stuck: the margin LP stays put" };
        // Candidates from the region's boundary on: just past it, then ever further along the
        // segment (for region-lp, beyond its end while inside the ball), all judged by the
        // network itself in one batch. Where the walk lands only picks the next region; every ρ̂
        // still comes from an LP.
        const last = mode === "ray" ? 1 : 1 + (2 * eps) / len;
        const fractions = [aim.exit];
        for (let d = CROSS / len; aim.exit + d < last; d *= 4) fractions.push(aim.exit + d);
        fractions.push(last);
        const candidates = fractions.map((s) =>
          Float64Array.from(at, (v, i) => inBall(v + s * ((aim.to[i] as number) - v), i)),
        );
        const z32 = await batchLogits(ctx, candidates);
        let pick = 0;
        z32.forEach((z, c) => {
          if (marginOf(z, target) > marginOf(z32[pick] as Float32Array, target)) pick = c;
        });
        const next = candidates[pick] as Float64Array;
        const nextRegion = regionAt(next);
        const m = marginOf(logitsOf(nextRegion), target);
        // A step that gains nothing is not taken: the walk ends where it stands, and `margins`
        // lists only the steps taken (so it rises strictly, by construction and by test).
        if (m < margin && !(m > atMargin + 1e-9))
          return {
            regions,
            margins,
            reason: `stuck at margin ${atMargin.toPrecision(4)}: the best step found gives ${m.toPrecision(4)} (the ball's edge or no better region)`,
          };
        margins.push(m);
        if (m >= margin) return { reached: next, regions, margins, reason: "target wins" };
        // a walk creeping along the ball's edge rarely gets there: give up early
        const before = margins[margins.length - 1 - STALL_STEPS];
        if (before !== undefined && m - before < STALL_GAIN * Math.max(1, Math.abs(m)))
          return { regions, margins, reason: `stalled at margin ${m.toPrecision(4)}` };
        [at, atRegion, atMargin] = [next, nextRegion, m];
      }
      return {
        regions: maxRegions,
        margins,
        reason: `no region with the target winning within ${maxRegions} regions`,
      };
    };

    const own = opts.ownRegion ? new LinearRegion(net, center, { ties }) : undefined;
    const perTarget: Record<string, unknown>[] = [];
    /** The best example, and the region whose LP gave it (where descent starts). */
    let best: { rho: number; target: number; x: Float64Array; region: LinearRegion } | undefined;
    let regionsVisited = 0;
    const targets = pickTargets(logits, predicted, opts.target);
    const chosen =
      opts.target === "all" && opts.nearest > 0 && opts.nearest < targets.length
        ? await nearestLabels(ctx, center, predicted, targets, logits, box, opts.nearest)
        : targets;
    for (const target of chosen) {
      // the paper's estimate, for comparison: ALP in x*'s own region
      const inOwn = own ? await alpIn(own, target) : undefined;
      const walks: Record<string, unknown>[] = [];
      const finals: Record<string, unknown>[] = [];
      /** The walk's best: x*'s own LP is kept apart, so it never changes where the walk goes. */
      let found: { rho: number; x: Float64Array; region: LinearRegion } | undefined;
      /** The ALP LP in the region around a point the walk reached; keeps the better ρ̂. */
      const finish = async (reached: Float64Array) => {
        const t0 = performance.now();
        const region = new LinearRegion(net, reached, { ties });
        alpSeconds += (performance.now() - t0) / 1000;
        const r = await alpIn(region, target);
        finals.push({ walkedTo: linf(reached, center), status: r.status, rho: r.rho ?? null });
        if (r.x && (!found || (r.rho as number) < found.rho))
          found = { rho: r.rho as number, x: r.x, region };
        // reached lies in that region with the target winning by the margin: the LP is feasible
        else if (!r.x) failure = lpFailure("the final region's ALP LP", r);
      };
      /** Walks inside the ε-ball from `start` and records the walk. */
      const walkAt = async (eps: number, start: Float64Array): Promise<Walk> => {
        const w = await walk(eps, target, start);
        regionsVisited += w.regions;
        walks.push({
          eps,
          regions: w.regions,
          reached: w.reached !== undefined,
          reason: w.reason,
          margins: w.margins,
        });
        return w;
      };
      let hi = opts.maxEps;
      let lo = 0;
      const first = await walkAt(hi, center);
      if (first.reached && opts.firstLp) await finish(first.reached);
      // without the first LP, the bisections start from where the first walk reached the target
      const unsolved = opts.firstLp ? undefined : first.reached;
      if (found || unsolved) {
        // Bisection on the ball's radius, each walk starting from the last example. The LP's ρ̂
        // (or the walked distance) already sits well inside the ball it was walked in, so shrink
        // gently; one more LP, in the region of the smallest ball's example, ends it.
        let from = (found?.x ?? unsolved) as Float64Array;
        hi = Math.min(hi, found ? found.rho : linf(from, center));
        let last: Float64Array | undefined = unsolved;
        for (let b = 0; b < opts.bisections && hi - lo > BRACKET * hi; b++) {
          const mid = Math.max((lo + hi) / 2, SHRINK * hi);
          const w = await walkAt(mid, from);
          if (w.reached) [hi, from, last] = [linf(w.reached, center), w.reached, w.reached];
          else lo = mid;
        }
        if (last) await finish(last);
        // without the first LP, a failed last LP falls back on the first walk's region
        if (!found && unsolved && last !== unsolved) await finish(unsolved);
      }
      perTarget.push({
        target,
        // null: not solved (ownRegion: false)
        ownRegionFeasible: inOwn ? inOwn.status === "optimal" : null,
        ownRegionStatus: inOwn?.status ?? null,
        ownRegionRho: inOwn?.rho ?? null,
        walkedRho: found ? (found as { rho: number }).rho : null,
        walks,
        finalLps: finals,
      });
      // ownRegion adds a candidate and changes nothing else: it can only lower ρ̂
      const walked = found as { rho: number; x: Float64Array; region: LinearRegion } | undefined;
      for (const f of [walked, inOwn && own ? { ...inOwn, region: own } : undefined])
        if (f?.x && (!best || (f.rho as number) < best.rho))
          best = { rho: f.rho as number, target, x: f.x, region: f.region };
    }
    const diagnostics = {
      ...(own ? { ties: own.ties } : {}),
      margin,
      step: mode,
      lpsSolved: lps,
      alpLpSeconds: alpSeconds,
      regionsVisited,
      perTarget,
    };
    if (best && opts.descent) {
      const query = { net, center, box, label: predicted, target: best.target, margin, lp, ties };
      const d = await descend(query, best, opts);
      return {
        example: d.x,
        target: best.target,
        diagnostics: { ...diagnostics, descent: descentDiagnostics(d) },
      };
    }
    if (best) return { example: best.x, target: best.target, diagnostics };
    return failure ? { ...failure, diagnostics } : { diagnostics };
  },
});

/** What a caller may give `alpWalk`: any of its declared options (`rho attacks` lists them). */
export type AlpWalkOptions = GivenOptions<typeof alpWalk.options>;

/**
 * The `count` labels of `others` whose linearised boundary at x is nearest in L∞: the margin
 * z_ℓ − z_k over ‖∇(z_ℓ − z_k)‖₁, the gradient's pixels that cannot move within the box left out
 * (DeepFool's choice of label, from one batched backward pass).
 */
export async function nearestLabels(
  ctx: AttackContext,
  x: Float64Array,
  label: number,
  others: readonly number[],
  logits: ArrayLike<number>,
  box: readonly [number, number],
  count: number,
): Promise<number[]> {
  const grads = await marginGradients(ctx, x, label, others);
  const distance = others.map((k, r) => {
    // the margin falls along −∇: a pixel counts where it can move that way
    let l1 = 0;
    (grads[r] as Float64Array).forEach((g, i) => {
      const v = x[i] as number;
      if ((g > 0 && v > box[0]) || (g < 0 && v < box[1])) l1 += Math.abs(g);
    });
    const m = (logits[label] as number) - (logits[k] as number);
    return { k, d: l1 > 0 ? m / l1 : Number.POSITIVE_INFINITY };
  });
  return distance
    .sort((a, b) => a.d - b.d)
    .slice(0, count)
    .map((e) => e.k);
}
