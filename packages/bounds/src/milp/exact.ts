// Exact ρ by mixed-integer programming (MIPVerify's approach): per target label, min ‖x − x*‖∞
// over the ball with that label at least tied with x*'s, in MIPVerify's tight formulation
// (formulation.ts) over bounds from `crownBounds` (IBP tightened by CROWN), starting from CROWN's
// certified radius. Targets are taken nearest first, each searched only within the best distance
// found so far. HiGHS with one deadline for all; its dual bounds are the certified side even when
// it stops early.
import { argmax, type Network } from "@rho/models";
import { getSolver } from "@rho/solvers";
import { boundRho, type RhoBound } from "../bisect.js";
import { ballBox } from "../intervals/ibp.js";
import type { Interval } from "../intervals/rules.js";
import { crown, crownBounds } from "../linear/method.js";
import type { BoundMethod, Certificate, Query } from "../method.js";
import { distanceMilp } from "./formulation.js";

export interface MilpOptions {
  readonly epsMax?: number;
  /** Wall-clock limit for all the MILPs of a point, seconds (default 60). */
  readonly timeLimit?: number;
  readonly box?: readonly [number, number];
}

/** Relative (and absolute, pixels) agreement of the bound and the witness for status exact. */
export const EXACT_TOLERANCE = 1e-3;

const linf = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

interface TargetAnswer {
  readonly status: "optimal" | "infeasible" | "time_limit" | "error";
  /** Proven: no point with this target winning closer than this. */
  readonly lower: number;
  readonly witness?: Float64Array;
  readonly binaries: number;
  readonly message?: string;
}

/** One target's MILP within the ball of radius epsMax (what it proves, and its optimum's pixels). */
async function solveTarget(
  net: Network,
  center: ArrayLike<number>,
  label: number,
  target: number,
  epsMax: number,
  tLower: number,
  margin: number,
  timeLimit: number,
  ball: (radius: number) => { readonly pixels: Interval; readonly bounds: Interval[] },
): Promise<TargetAnswer> {
  const { pixels, bounds } = ball(epsMax);
  // CROWN's logit bounds may already rule the target out within the ball
  const logits = bounds[bounds.length - 1] as { lo: Float64Array; hi: Float64Array };
  if ((logits.hi[target] as number) - (logits.lo[label] as number) < margin)
    return { status: "infeasible", lower: epsMax, binaries: 0 };
  const m = distanceMilp(net, center, label, target, pixels, bounds, tLower, epsMax, margin);
  const highs = await getSolver("highs");
  const r = await highs.solve(m.lp, { timeLimit: Math.max(0.1, timeLimit) });
  const proven = Math.max(tLower, r.bound ?? tLower);
  if (r.status === "optimal" && r.primal) {
    const witness = Float64Array.from(m.pixels, (c) => r.primal?.[c] as number);
    return {
      status: "optimal",
      lower: Math.min(proven, r.objective as number),
      witness,
      binaries: m.binaries,
    };
  }
  if (r.status === "infeasible") return { status: "infeasible", lower: epsMax, binaries: m.binaries };
  if (r.status === "time_limit") return { status: "time_limit", lower: proven, binaries: m.binaries };
  return { status: "error", lower: tLower, binaries: m.binaries, message: r.message ?? r.status };
}

/**
 * Exact ρ of the network as rho's IR computes it in real arithmetic. exact: every target's MILP
 * was settled and the proven bound agrees with a witness verified by the float64 forward pass
 * within EXACT_TOLERANCE; bracket: a time limit came first, or they do not agree (lower = what
 * is proven, upper = the witness, if any); certified_beyond: no other label within epsMax.
 */
export async function exactRho(
  net: Network,
  center: ArrayLike<number>,
  label: number,
  opts: MilpOptions = {},
): Promise<RhoBound & { readonly binaries: number; readonly targets: readonly unknown[] }> {
  const t0 = performance.now();
  const epsMax = opts.epsMax ?? 255;
  const deadline = t0 + 1000 * (opts.timeLimit ?? 60);
  const box = opts.box ?? [0, 255];
  const left = () => (deadline - performance.now()) / 1000;
  // CROWN's certified radius: no MILP needs to look inside it
  const floor = await boundRho(crown, net, center, label, { epsMax, tolerance: 0.01, box });
  // the ball's box and CROWN bounds, once per radius (targets share a radius until one improves it)
  const balls = new Map<number, { pixels: Interval; bounds: Interval[] }>();
  const ball = (radius: number) => {
    let b = balls.get(radius);
    if (!b) {
      const pixels = ballBox(center, radius, box);
      b = { pixels, bounds: crownBounds(net, pixels).bounds };
      balls.set(radius, b);
    }
    return b;
  };
  const adversarial = (x: Float64Array) => argmax(net.forward64(x).logits) !== label;
  const z = net.forward64(center).logits;
  const targets = Array.from({ length: z.length }, (_, j) => j)
    .filter((j) => j !== label)
    .sort((a, b) => (z[b] as number) - (z[a] as number));
  let best = epsMax;
  let witness: Float64Array | undefined;
  let lower = Number.POSITIVE_INFINITY;
  let binaries = 0;
  let settled = floor.status !== "certified_beyond";
  const perTarget: unknown[] = [];
  for (const target of settled ? targets : []) {
    if (left() <= 0) {
      lower = Math.min(lower, floor.lower);
      settled = false;
      perTarget.push({ target, status: "not_run" });
      continue;
    }
    const a = await solveTarget(net, center, label, target, best, floor.lower, 0, left(), ball);
    binaries = Math.max(binaries, a.binaries);
    perTarget.push({ target, status: a.status, lower: a.lower });
    if (a.status === "error") throw new Error(`milp: target ${target}: ${a.message}`);
    if (a.status === "time_limit") settled = false;
    lower = Math.min(lower, a.lower);
    if (a.status !== "optimal" || !a.witness) continue;
    // At margin 0 the optimum sits on the decision boundary, where rounding picks either label:
    // a point just beyond it along the ray from x* (≤ 0.1 % farther) is tried first, then the
    // MILP again with the target ahead by 1e-4.
    let found: Float64Array | undefined;
    for (const d of [0, 1e-9, 1e-7, 1e-5, 1e-4, 1e-3]) {
      const x = Float64Array.from(a.witness, (v, i) => {
        const c = center[i] as number;
        return Math.min(box[1], Math.max(box[0], c + (v - c) * (1 + d)));
      });
      if (adversarial(x)) {
        found = x;
        break;
      }
    }
    if (!found && left() > 0) {
      const near = Math.min(epsMax, linf(a.witness, center) * 1.01 + 0.05);
      const b = await solveTarget(net, center, label, target, near, a.lower, 1e-4, left(), ball);
      if (b.witness && adversarial(b.witness)) found = b.witness;
    }
    if (found) {
      const d = linf(found, center);
      if (d < best || !witness) [best, witness] = [Math.min(d, best), found];
    }
  }
  const done = (status: RhoBound["status"], lo: number) => ({
    method: "milp",
    lower: lo,
    upper: witness ? linf(witness, center) : null,
    status,
    ...(witness ? { witness } : {}),
    seconds: (performance.now() - t0) / 1000,
    calls: perTarget.length,
    binaries,
    targets: perTarget,
  });
  if (floor.status === "certified_beyond") return done("certified_beyond", epsMax);
  lower = Math.max(floor.lower, Math.min(lower, best));
  if (!witness && settled && lower >= epsMax) return done("certified_beyond", epsMax);
  const upper = witness ? linf(witness, center) : Number.POSITIVE_INFINITY;
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
