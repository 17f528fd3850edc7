// Exact ρ by mixed-integer programming (MIPVerify's approach): min ‖x − x*‖∞ over the ball with
// some other label at least tied with x*'s (one binary per label CROWN cannot rule out), in
// MIPVerify's tight formulation (formulation.ts) over bounds from `crownBounds` (IBP tightened by
// CROWN), starting from CROWN's certified radius. HiGHS under one deadline, told to spend it on
// the bound (no primal heuristics); its dual bound is the certified side even when it stops early.
import { linf } from "@rho/constraints";
import { argmax, type Network } from "@rho/models/core";
import { getSolver } from "@rho/solvers";
import { boundRho, type RhoBound } from "../bisect.js";
import { ballBox } from "../intervals/ibp.js";
import type { Interval } from "../intervals/rules.js";
import { crown, crownBounds, marginBounds } from "../linear/method.js";
import type { BoundMethod, Certificate, Query } from "../method.js";
import { distanceMilp } from "./formulation.js";

export interface MilpOptions {
  readonly epsMax?: number;
  /** Wall-clock limit for all the MILPs of a point, seconds (default 60). */
  readonly timeLimit?: number;
  readonly box?: readonly [number, number];
  /**
   * One MILP over every label CROWN cannot rule out, one per label (the most threatening first),
   * or auto (default): the disjunction for a sixth of the time limit, then label by label.
   */
  readonly form?: "auto" | "disjunction" | "per-target";
}

/** HiGHS's default MIP gap tolerances: an optimal answer is at most this far above the optimum. */
const MIP_REL_GAP = 1e-4;
const MIP_ABS_GAP = 1e-6;

/** Share of the time limit the disjunctive MILP gets before `auto` goes label by label. */
const DISJUNCTION_SHARE = 1 / 6;

/** Ratio of one search ball's radius to the previous one's. */
const GROWTH = 1.5;
/** A ball within this factor of epsMax is searched as epsMax itself. */
const SAME_BALL = 1.2;

/** Relative (and absolute, pixels) agreement of the bound and the witness for status exact. */
export const EXACT_TOLERANCE = 1e-3;

interface Ball {
  readonly pixels: Interval;
  readonly bounds: Interval[];
  /** CROWN's lower bounds on z_label − z_j over the ball, per label j. */
  readonly margins: Float64Array;
}

interface Answer {
  readonly status: "optimal" | "infeasible" | "time_limit" | "error";
  /** Proven: no point where one of the targets reaches the label closer than this. */
  readonly lower: number;
  readonly witness?: Float64Array;
  readonly binaries: number;
  readonly message?: string;
}

/** What every MILP about one point shares: the network, x* and its label, CROWN's bounds per radius. */
interface PointSearch {
  readonly net: Network;
  readonly center: ArrayLike<number>;
  readonly label: number;
  readonly ball: (radius: number) => Ball;
  /**
   * Seconds preparing a MILP in that ball is expected to take: its bounds unless built, and the
   * model, each as long as the last measured.
   */
  readonly prepCost: (radius: number) => number;
  /** Records how long building a model took. */
  readonly modelBuilt: (seconds: number) => void;
}

/** One MILP's question about that point. */
interface BallQuery {
  /** The ball searched (epsMax of this MILP). */
  readonly radius: number;
  /** ρ is already proven at least this. */
  readonly lower: number;
  /** The other label must reach x*'s by this much. */
  readonly margin: number;
  /** Seconds left for this MILP, read after the ball's bounds and the model are built. */
  readonly timeLeft: () => number;
  /** That label alone (else every label CROWN cannot rule out). */
  readonly only?: number;
}

/**
 * One MILP within the ball: the nearest point where some label other than x*'s reaches it by
 * the margin — one binary per label CROWN cannot rule out in the ball (`only`: that label alone).
 */
async function solveBall(
  { net, center, label, ball, prepCost, modelBuilt }: PointSearch,
  { radius: epsMax, lower: tLower, margin, timeLeft, only }: BallQuery,
): Promise<Answer> {
  // the ball's bounds and the model are work too: none begun without the time they are expected
  // to take (a model of LeNet takes longer to build than a CROWN pass)
  if (timeLeft() <= prepCost(epsMax)) return { status: "time_limit", lower: tLower, binaries: 0 };
  const { pixels, bounds, margins } = ball(epsMax);
  // CROWN's bound on z_label − z_j may already rule label j out within the ball
  const targets = Array.from(margins.keys()).filter(
    (j) => j !== label && (only === undefined || j === only) && (margins[j] as number) <= -margin,
  );
  if (targets.length === 0) return { status: "infeasible", lower: epsMax, binaries: 0 };
  const began = performance.now();
  const m = distanceMilp(net, center, label, targets, pixels, bounds, tLower, epsMax, margin);
  modelBuilt((performance.now() - began) / 1000);
  const highs = await getSolver("highs");
  const timeLimit = timeLeft();
  if (timeLimit <= 0) return { status: "time_limit", lower: tLower, binaries: m.binaries };
  const r = await highs.solve(m.lp, { timeLimit, mipFocus: "bound" });
  const proven = Math.max(tLower, r.bound ?? tLower);
  if (r.status === "optimal" && r.primal) {
    const witness = Float64Array.from(m.pixels, (c) => r.primal?.[c] as number);
    // optimal means within HiGHS's gap tolerances (relative 1e-4, absolute 1e-6) of the bound; a
    // MILP settled in presolve may report no useful dual bound, so the tolerance is the proof
    const objective = r.objective as number;
    const gap = Math.max(MIP_REL_GAP * Math.abs(objective), MIP_ABS_GAP);
    return {
      status: "optimal",
      lower: Math.min(Math.max(proven, objective - gap), objective),
      witness,
      binaries: m.binaries,
    };
  }
  if (r.status === "infeasible") return { status: "infeasible", lower: epsMax, binaries: m.binaries };
  if (r.status === "time_limit") return { status: "time_limit", lower: proven, binaries: m.binaries };
  return { status: "error", lower: tLower, binaries: m.binaries, message: r.message ?? r.status };
}

/**
 * The same question one target label at a time, the most threatening first (lowest CROWN margin),
 * each searched within the nearest point found so far, over CROWN's bounds for that smaller ball
 * (which often rule the remaining labels out without a MILP).
 */
async function solvePerTarget(p: PointSearch, q: Omit<BallQuery, "only">): Promise<Answer> {
  const { center, label, ball } = p;
  const { radius, lower: tLower, timeLeft: left } = q;
  if (left() <= p.prepCost(radius)) return { status: "time_limit", lower: tLower, binaries: 0 };
  const first = ball(radius).margins;
  const order = Array.from(first.keys())
    .filter((j) => j !== label)
    .sort((a, b) => (first[a] as number) - (first[b] as number));
  let best: Answer = { status: "infeasible", lower: radius, binaries: 0 };
  let within = radius;
  let binaries = 0;
  for (const [k, j] of order.entries()) {
    // labels not searched yet are known only to lie beyond tLower
    const rest = k + 1 < order.length ? tLower : Number.POSITIVE_INFINITY;
    if (left() <= 0) return { ...best, status: "time_limit", lower: Math.min(best.lower, tLower), binaries };
    const a = await solveBall(p, { ...q, radius: within, only: j });
    binaries = Math.max(binaries, a.binaries);
    if (a.status === "error" || a.status === "time_limit")
      return { ...a, lower: Math.min(a.lower, best.lower, rest), binaries };
    if (a.status === "optimal" && a.witness) {
      best = { ...a, binaries };
      within = Math.min(within, linf(a.witness, center));
    }
  }
  return { ...best, binaries };
}

/**
 * Exact ρ of the network as rho's IR computes it in real arithmetic. exact: the MILP was settled
 * and its proven bound agrees with a witness verified by the float64 forward pass within
 * EXACT_TOLERANCE; bracket: a time limit came first, or they do not agree (lower = what is
 * proven, upper = the witness, if any); certified_beyond: no other label within epsMax.
 */
export async function exactRho(
  net: Network,
  center: ArrayLike<number>,
  label: number,
  opts: MilpOptions = {},
): Promise<RhoBound & { readonly binaries: number }> {
  const t0 = performance.now();
  const epsMax = opts.epsMax ?? 255;
  const deadline = t0 + 1000 * (opts.timeLimit ?? 60);
  const box = opts.box ?? [0, 255];
  const left = () => (deadline - performance.now()) / 1000;
  const form = opts.form ?? "auto";
  const limit = opts.timeLimit ?? 60;
  // CROWN's certified radius: no MILP needs to look inside it
  const floor = await boundRho(crown, net, center, label, { epsMax, tolerance: 0.01, box, deadline });
  // the ball's box, CROWN bounds and margins, once per radius (per-label search reuses them)
  const balls = new Map<number, Ball>();
  // one ball's bounds cost about one CROWN certification of the bisection until one is measured
  let ballSeconds = floor.calls > 0 ? floor.seconds / floor.calls : 0;
  const ball = (radius: number): Ball => {
    let b = balls.get(radius);
    if (!b) {
      const began = performance.now();
      const pixels = ballBox(center, radius, box);
      const { bounds } = crownBounds(net, pixels);
      b = { pixels, bounds, margins: marginBounds(net, bounds, pixels, label) };
      balls.set(radius, b);
      ballSeconds = (performance.now() - began) / 1000;
    }
    return b;
  };
  let modelSeconds = 0;
  const point: PointSearch = {
    net,
    center,
    label,
    ball,
    prepCost: (radius) => (balls.has(radius) ? 0 : ballSeconds) + modelSeconds,
    modelBuilt: (seconds) => {
      modelSeconds = seconds;
    },
  };
  const adversarial = (x: Float64Array) => argmax(net.forward64(x).logits) !== label;
  let witness: Float64Array | undefined;
  let lower = floor.lower;
  let binaries = 0;
  let calls = 0;
  let settled = false;
  // Balls growing from CROWN's radius by GROWTH up to epsMax: a small ball leaves fewer ReLUs
  // undecided, so its MILP is cheap, and one found empty proves ρ ≥ its radius. The first ball
  // with an optimum holds the nearest point. (With a tight epsMax, an attack's ρ̂ say, one ball.)
  const radii: number[] = [];
  // (from at least the bisection's tolerance: a floor of 0 would never grow)
  for (let r = Math.max(floor.lower, 0.01) * GROWTH; r < epsMax / SAME_BALL; r *= GROWTH) radii.push(r);
  radii.push(epsMax);
  let a: Answer | undefined;
  if (floor.status !== "certified_beyond") {
    for (const radius of radii) {
      if (left() <= point.prepCost(radius)) break;
      if (form === "per-target")
        a = await solvePerTarget(point, { radius, lower, margin: 0, timeLeft: left });
      else {
        // auto: the disjunction is faster on some points, label by label settles others it stalls
        // on (the README gives the measurements: `bench:bounds --milp-form`)
        const shareEnds = performance.now() + 1000 * DISJUNCTION_SHARE * limit;
        const share = () =>
          form === "auto" ? Math.min(left(), (shareEnds - performance.now()) / 1000) : left();
        a = await solveBall(point, { radius, lower, margin: 0, timeLeft: share });
        if (form === "auto" && a.status === "time_limit" && left() > 0) {
          calls++;
          a = await solvePerTarget(point, {
            radius,
            lower: Math.max(lower, a.lower),
            margin: 0,
            timeLeft: left,
          });
        }
      }
      calls++;
      binaries = Math.max(binaries, a.binaries);
      if (a.status === "error") throw new Error(`milp: ${a.message}`);
      lower = Math.max(lower, a.lower);
      if (a.status !== "infeasible") break;
    }
    // settled: an optimum, or every ball up to epsMax proven empty
    settled = a?.status === "optimal" || (a?.status === "infeasible" && lower >= epsMax);
    if (a?.status === "optimal" && a.witness) {
      // At margin 0 the optimum sits on the decision boundary, where rounding picks either label:
      // a point just beyond it along the ray from x* (≤ 0.1 % farther) is tried first, then the
      // MILP again with another label ahead by 1e-4.
      for (const d of [0, 1e-9, 1e-7, 1e-5, 1e-4, 1e-3]) {
        const x = Float64Array.from(a.witness, (v, i) => {
          const c = center[i] as number;
          return Math.min(box[1], Math.max(box[0], c + (v - c) * (1 + d)));
        });
        if (adversarial(x)) {
          witness = x;
          break;
        }
      }
      if (!witness && left() > 0) {
        const near = Math.min(epsMax, linf(a.witness, center) * 1.01 + 0.05);
        const b = await solveBall(point, { radius: near, lower: a.lower, margin: 1e-4, timeLeft: left });
        calls++;
        if (b.witness && adversarial(b.witness)) witness = b.witness;
      }
    }
  }
  const done = (status: RhoBound["status"], lo: number) => ({
    method: "milp",
    lower: lo,
    upper: witness ? linf(witness, center) : null,
    status,
    ...(witness ? { witness } : {}),
    seconds: (performance.now() - t0) / 1000,
    calls,
    binaries,
  });
  if (floor.status === "certified_beyond") return done("certified_beyond", epsMax);
  if (!witness && settled && lower >= epsMax) return done("certified_beyond", epsMax);
  const upper = witness ? linf(witness, center) : Number.POSITIVE_INFINITY;
  lower = Math.min(lower, upper);
  const agree = settled && upper <= lower * (1 + EXACT_TOLERANCE) + EXACT_TOLERANCE;
  return done(agree ? "exact" : "bracket", lower);
}

/** The MILP as a certifying method: no target reaches the label within ε → certified. */
export const milp: BoundMethod = {
  name: "milp",
  description: "exact ρ by MILP (MIPVerify's formulation over CROWN bounds, per target label; HiGHS)",
  async certify(q: Query): Promise<Certificate> {
    const r = await exactRho(q.net, q.center, q.label, { epsMax: q.eps, box: q.box });
    if (r.status === "certified_beyond")
      return { status: "certified", diagnostics: { binaries: r.binaries } };
    if (r.witness && r.upper !== null && r.upper <= q.eps)
      return { status: "falsified", witness: r.witness, diagnostics: { binaries: r.binaries } };
    return { status: "unknown", diagnostics: { binaries: r.binaries, lower: r.lower } };
  },
  rho: (net, center, label, opts) => exactRho(net, center, label, opts),
};
