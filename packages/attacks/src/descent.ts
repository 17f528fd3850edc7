import type { TieRule } from "@rho/constraints";
import { LinearRegion } from "@rho/encoders";
import { argmax, type Network } from "@rho/models";
import type { OptionSchema } from "./options.js";
import { nearestInRegion, type RegionLpOptions } from "./region-lp.js";

/** Region descent: the LP methods' last LP, repeated over the region of each new optimum. */
export interface DescentOptions {
  /** Descend after the region LP (default false: each step is a cold region LP, seconds on LeNet). */
  readonly descent?: boolean;
  /** At most this many descent steps (default 8). */
  readonly descentSteps?: number;
  /** Stop when a step lowers ρ̂ by less than this fraction of it (default 1e-3). */
  readonly descentTolerance?: number;
  /**
   * Which region a step goes to (default "at"): the region of x̂ itself, units within 1e-6 of
   * their switching surface counted as tied and resolved by the tie rule ("at"), or of a point
   * a little past x̂, away from x* ("past"). Measured on the shipped LeNet: "at" went further
   * (point 6590's alp-walk ρ̂ 9.24 → 8.72 against 9.05).
   */
  readonly descentPick?: "past" | "at" | "both";
}

/** "past": how far beyond x̂, as a fraction of ρ̂. "at": how close to its switching surface a unit at x̂ counts as tied. */
const PAST = 1e-3;
const AT_TOL = 1e-6;

export const DESCENT_OPTIONS: OptionSchema = {
  descent: {
    type: "boolean",
    default: false,
    help: "after the region LP, solve it again over the linear region of each new optimum while ρ̂ falls",
  },
  descentSteps: { type: "integer", min: 1, default: 8, help: "descent: at most this many steps" },
  descentPick: {
    type: "string",
    values: ["at", "past", "both"],
    default: "at",
    help: "descent: the next region is that of the optimum itself (near-tight units as ties), of a point just past it, or the first, then the second when it gains nothing",
  },
  descentTolerance: {
    type: "number",
    min: 0,
    default: 1e-3,
    help: "descent: stop when a step lowers ρ̂ by less than this fraction",
  },
};

export interface Descended {
  readonly x: Float64Array;
  readonly rho: number;
  /** ρ̂ before descent, then after each step that was taken. */
  readonly path: number[];
  /** Why it stopped. */
  readonly stop: "tolerance" | "steps" | "lp" | "label";
}

/**
 * From an optimum x̂ of the ALP LP over some linear region (target winning by the margin), solves
 * the same LP over the linear region of x̂ itself — x̂ lies on that region's boundary too, where
 * the tie rule picks the side of every tight facet — and repeats from each new optimum while ρ̂
 * falls by more than the tolerance. x̂ is feasible in the next region (the network is continuous
 * and agrees with both affine maps at x̂), so each step's optimum is no larger; every step is an
 * exact LP optimum over a genuine linear region, and each new point is checked by a float64
 * forward pass before it is kept.
 */
export async function descend(
  net: Network,
  center: Float64Array,
  box: readonly [number, number],
  label: number,
  target: number,
  margin: number,
  from: { readonly x: Float64Array; readonly rho: number },
  lp: RegionLpOptions,
  ties: TieRule,
  opts: DescentOptions,
): Promise<Descended> {
  const steps = opts.descentSteps ?? 8;
  const tol = opts.descentTolerance ?? 1e-3;
  let cur = from;
  const path = [from.rho];
  const pick = opts.descentPick ?? "at";
  // "both": "at" while it gains, then "past" from the same point before giving up
  const picks: ("at" | "past")[] = pick === "both" ? ["at", "past"] : [pick];
  for (let s = 0; s < steps; s++) {
    let stop: Descended["stop"] = "tolerance";
    let next: { x: Float64Array; rho: number } | undefined;
    for (const p of picks) {
      const region = nextRegion(net, cur, center, box, ties, p);
      const r = await nearestInRegion(region, center, box, target, margin, lp);
      if (!r.x || r.rho === undefined) stop = "lp";
      else if (!(r.rho < cur.rho * (1 - tol))) stop = "tolerance";
      else if (argmax(net.forward64(r.x).logits) === label) stop = "label";
      else {
        next = { x: r.x, rho: r.rho };
        break;
      }
    }
    if (!next) return { ...cur, path, stop };
    cur = next;
    path.push(cur.rho);
  }
  return { ...cur, path, stop: "steps" };
}

/** What a result's diagnostics say of a descent. */
export const descentDiagnostics = (d: Descended) => ({ steps: d.path.length - 1, rho: d.path, stop: d.stop });

/** The linear region a descent step from `at` solves its LP over. */
export function nextRegion(
  net: Network,
  at: { readonly x: Float64Array; readonly rho: number },
  center: Float64Array,
  box: readonly [number, number],
  ties: TieRule,
  pick: "past" | "at",
): LinearRegion {
  return pick === "past"
    ? new LinearRegion(net, beyond(at.x, center, box, PAST * at.rho), { ties })
    : new LinearRegion(net, at.x, { ties, tol: AT_TOL });
}

/** x + δ·(x − c)/‖x − c‖∞, clipped to the box: a point just past x on the ray from c. */
function beyond(
  x: Float64Array,
  c: Float64Array,
  box: readonly [number, number],
  delta: number,
): Float64Array {
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs((x[i] as number) - (c[i] as number)));
  const s = d > 0 ? delta / d : 0;
  return x.map((v, i) => Math.min(box[1], Math.max(box[0], v + s * (v - (c[i] as number)))));
}
