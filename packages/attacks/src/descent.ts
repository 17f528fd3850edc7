import { linf, type TieRule } from "@rho/constraints";
import { LinearRegion } from "@rho/encoders";
import { argmax, type Network } from "@rho/models";
import { acrossNearestFacets } from "./flips.js";
import { type OptionsOf, optionSchema } from "./options.js";
import { type AlpQuery, nearestInRegion } from "./region-lp.js";

/** "toward": how far short of x̂, as a fraction of ρ̂. Ties at x̂: units this close to switching. */
const SHORT = 1e-3;
const AT_TOL = 1e-6;

/** The descent options, declared once; `descentDefault` is the attack's default for `descent`. */
export const descentOptions = (descentDefault: boolean) =>
  optionSchema({
    descent: {
      type: "boolean",
      default: descentDefault,
      help: "after the region LP, solve it again over the region across the new optimum's tight facets while ρ̂ falls",
    },
    descentSteps: { type: "integer", min: 1, default: 8, help: "descent: at most this many steps" },
    descentPick: {
      type: "string",
      values: ["across", "at", "toward"],
      default: "across",
      help: "descent: the next region lies across every facet tight at the optimum, is the optimum's own by the tie rule, or that of a point just short of it towards x*",
    },
    descentTolerance: {
      type: "number",
      min: 0,
      default: 1e-3,
      help: "descent: stop when a step lowers ρ̂ by less than this fraction",
    },
    descentFlips: {
      type: "integer",
      min: 0,
      default: 0,
      help: "descent: where the step across the tight facets gains nothing, also try the regions across this many nearest facets that are not tight (one LP each); 0: stop there",
    },
  });

/**
 * Region descent: the LP methods' last LP, repeated over a region next to each new optimum — on
 * by default in alp-walk and alp-pgd (ρ̂ about 12 % lower on the shipped LeNet, at several times
 * the time of a point with an example), off in alp, the paper's single-region method. A step
 * goes "across" every facet tight at x̂ (within 1e-6 of its switching surface, or a max-pool
 * window with several maxima), to x̂'s own region by the tie rule ("at", which can only switch a
 * tied ReLU on), or to the region of a point just short of x̂ towards x* ("toward"); measured on
 * the shipped LeNet (benchmarks/attacks/README.md), "across" goes furthest.
 */
export type DescentOptions = Pick<
  OptionsOf<ReturnType<typeof descentOptions>>,
  "descentSteps" | "descentTolerance" | "descentPick" | "descentFlips"
>;

/** Which region a descent step goes to: the schema's `descentPick` values. */
export type DescentPick = DescentOptions["descentPick"];

/** An LP optimum and the linear region whose LP gave it. */
export interface RegionPoint {
  readonly x: Float64Array;
  readonly rho: number;
  readonly region: LinearRegion;
}

export interface Descended extends RegionPoint {
  /** ρ̂ before descent, then after each step that was taken. */
  readonly path: number[];
  /** Why it stopped. */
  readonly stop: "tolerance" | "steps" | "lp" | "label";
  /** Steps taken into a region across a facet that was not tight (`descentFlips`). */
  readonly flips: number;
  /** Wall-clock seconds of the descent. */
  readonly seconds: number;
}

/**
 * From an optimum x̂ of the ALP LP over some linear region R (target winning by the margin),
 * solves the same LP over a region R' next to R at x̂ (`nextRegion`) and repeats from each new
 * optimum while ρ̂ falls by more than the tolerance. x̂ lies in R' too ("across", "at"): every
 * unit R' decides differently from R is at its switching surface at x̂ (to within 1e-6), where both
 * sides' affine maps agree, so every region row has the same value at x̂ under R and R', and the
 * step's optimum is no larger. A step that does not lower ρ̂ by the tolerance ends the descent and
 * is not kept, so ρ̂ never rises. Every step is an exact LP optimum over a genuine linear region,
 * and each new point is checked by a float64 forward pass before it is kept.
 */
export async function descend(q: AlpQuery, from: RegionPoint, opts: DescentOptions): Promise<Descended> {
  const { net, center, box, label, ties } = q;
  const steps = opts.descentSteps;
  const tol = opts.descentTolerance;
  const pick = opts.descentPick;
  let cur = from;
  let flips = 0;
  const path = [from.rho];
  const t0 = performance.now();
  const end = (stop: Descended["stop"]): Descended => ({
    ...cur,
    path,
    stop,
    flips,
    seconds: (performance.now() - t0) / 1000,
  });
  const keepsLabel = (x: Float64Array) => argmax(net.forward64(x).logits) === label;
  for (let s = 0; s < steps; s++) {
    const region = nextRegion(net, cur, center, box, ties, pick);
    // only a gain beyond the tolerance is taken, so t is bounded there (x̂ itself lies at cur.rho):
    // infeasible then means no such gain in this region, which presolve often settles at once
    const cap = cur.rho * (1 - tol);
    const r = await nearestInRegion(region, q, cap);
    const stop = stopAfter(r, cap, keepsLabel);
    if (!stop) {
      cur = { x: r.x as Float64Array, rho: r.rho as number, region };
    } else {
      const flipped =
        stop === "tolerance" ? await bestFlip(q, cur, cap, opts.descentFlips, keepsLabel) : undefined;
      if (!flipped) return end(stop);
      cur = flipped;
      flips++;
    }
    path.push(cur.rho);
  }
  return end("steps");
}

/**
 * The best gain over the regions just across the `k` facets nearest to x̂ that are not tight
 * there, or undefined. x̂ need not lie in those regions, so their LPs may find nothing below the
 * cap; whatever they find is an exact optimum over a genuine linear region, checked like any step.
 */
async function bestFlip(
  q: AlpQuery,
  at: RegionPoint,
  cap: number,
  k: number,
  keepsLabel: (x: Float64Array) => boolean,
): Promise<RegionPoint | undefined> {
  if (k <= 0) return undefined;
  let best: RegionPoint | undefined;
  for (const p of acrossNearestFacets(at.region, at.x, q.box, k, AT_TOL)) {
    const region = new LinearRegion(q.net, p, { ties: q.ties });
    const r = await nearestInRegion(region, q, best ? best.rho * (1 - 1e-12) : cap);
    if (!stopAfter(r, cap, keepsLabel)) best = { x: r.x as Float64Array, rho: r.rho as number, region };
  }
  return best;
}

/** Why a step's LP result ends the descent, or undefined when the step is taken. */
function stopAfter(
  r: { status: string; rho?: number; x?: Float64Array },
  cap: number,
  keepsLabel: (x: Float64Array) => boolean,
): Descended["stop"] | undefined {
  if (r.status === "infeasible") return "tolerance";
  if (!r.x || r.rho === undefined) return "lp";
  if (!(r.rho < cap)) return "tolerance";
  return keepsLabel(r.x) ? "label" : undefined;
}

/** What a result's diagnostics say of a descent. */
export const descentDiagnostics = (d: Descended) => ({
  steps: d.path.length - 1,
  flips: d.flips,
  rho: d.path,
  stop: d.stop,
  seconds: d.seconds,
});

/** The linear region a descent step from `at` (an optimum over `at.region`) solves its LP over. */
export function nextRegion(
  net: Network,
  at: RegionPoint,
  center: Float64Array,
  box: readonly [number, number],
  ties: TieRule,
  pick: DescentPick,
): LinearRegion {
  if (pick === "across") return new LinearRegion(net, at.x, { ties, tol: AT_TOL, across: at.region });
  if (pick === "at") return new LinearRegion(net, at.x, { ties, tol: AT_TOL });
  return new LinearRegion(net, shortOf(at.x, center, box, SHORT * at.rho), { ties });
}

/** x − δ·(x − c)/‖x − c‖∞, clipped to the box: a point just short of x on the ray from c. */
function shortOf(
  x: Float64Array,
  c: Float64Array,
  box: readonly [number, number],
  delta: number,
): Float64Array {
  const d = linf(x, c);
  const s = d > 0 ? delta / d : 0;
  return x.map((v, i) => Math.min(box[1], Math.max(box[0], v - s * (v - (c[i] as number)))));
}
