// Branch and bound on ReLU splits: the complete stage of `rho verify` for one conjunction of
// output rows over one input box. A domain is ruled out when CROWN, over bounds clipped by its
// splits, proves one row's coef·y above its bound; else it is split on the unstable ReLU whose
// relaxation costs that row's bound the most (BaBSR's intercept score), or, once few ReLUs are
// left unstable, handed to a leaf (the MILP: exact there, and cheap with few binaries). unsat only
// when every domain is ruled out or a leaf proves it empty.
import {
  type AlphaState,
  alphaLowerBound,
  boxMinimiser,
  type Interval,
  linearLowerBounds,
  minOverBox,
  type PixelLinear,
  type ReluSplit,
  type RoundingMemo,
  refineBounds,
  reluInputs,
  Scratch,
  type SplitConstraint,
  splitBounds,
  tightSlopes,
} from "@rho/bounds";
import type { Network } from "@rho/models";
import { intervalBound } from "./semantics.js";
import type { OutputRow } from "./vnnlib.js";

/** A leaf's answer: no point there, a confirmed counterexample, or open (time, or a candidate that failed). */
export type LeafAnswer =
  | { readonly status: "empty" }
  /** retry: the leaf ran out of time (splitting the domain further may still settle it). */
  | { readonly status: "open"; readonly retry?: boolean }
  | {
      readonly status: "sat";
      readonly x: Float64Array;
      readonly y: Float64Array;
    };

export interface BabOptions {
  /** performance.now() at which the search stops (status timeout). */
  readonly deadline: number;
  /** Domains with at most this many unstable ReLUs go to the leaf (default 0: split to the end). */
  readonly leafUnits?: number;
  /** Settles one domain exactly, given its bounds (e.g. the MILP with the float32 slack). */
  readonly leaf: (bounds: readonly Interval[]) => Promise<LeafAnswer>;
  /**
   * α,β-CROWN's gradient steps per open row and domain — the slopes and the domain's split
   * multipliers together, from where its parent's ended (the root's from the slopes tight at the
   * worst pixels; default BAB_ALPHA_ITERATIONS; 0: those slopes alone, the splits through their
   * pixel-space relaxations; benchmarks/verify/README.md).
   */
  readonly alphaIterations?: number;
  /**
   * Domains down to this depth get their bounds above their newest split recomputed by CROWN
   * (default REFINE_DEPTH; 0: IBP alone carries every split up). Deeper, the recomputation costs
   * more than it settles: it is a CROWN pass per unstable unit above the split.
   */
  readonly refineDepth?: number;
  /**
   * An attack inside a domain that its bounds did not rule out: tried at the pixels where CROWN's
   * lower bound of the domain's nearest row is least; `search` (domains down to depth PROBE_DEPTH)
   * asks for a short search from there too. A confirmed counterexample, or undefined.
   */
  readonly probe?: (
    x: Float64Array,
    search: boolean,
  ) => Promise<{ readonly x: Float64Array; readonly y: Float64Array } | undefined>;
}

/** α,β-CROWN's steps per open row and domain (benchmarks/verify/README.md, 2026-12-07). */
export const BAB_ALPHA_ITERATIONS = 10;

/** The depth down to which a split's domains get CROWN bounds above it (benchmarks/verify/README.md). */
const REFINE_DEPTH = 7;

/** The depth down to which a probe inside a domain searches from its point, not just tries it. */
const PROBE_DEPTH = 5;

export type BabResult = (
  | { readonly status: "unsat" | "unknown" | "timeout" }
  | { readonly status: "sat"; readonly x: Float64Array; readonly y: Float64Array }
) & {
  readonly domains: number;
  /**
   * The share of the search settled: Σ 2^−depth over the domains ruled out or proved empty (1 when
   * unsat). How near a timeout came, not a share of the input box: a split halves the tree, not the box.
   */
  readonly settled: number;
};

/** A linear function of the pixels that is ≥ 0 throughout a domain: what one of its splits implies. */
interface Cut {
  readonly coef: Float64Array;
  readonly constant: number;
  /** Σ |coef|·max(|lo|, |hi|) over the box: bounds the rounding of λ·coef in the Lagrangian. */
  readonly size: number;
}

interface Domain {
  readonly bounds: readonly Interval[];
  /**
   * One per split on the way down: s·z ≥ 0 for the split unit z, relaxed to the pixels (none
   * when α,β-CROWN steps run: their multipliers take the splits into the bound).
   */
  readonly cuts: readonly Cut[];
  /** The same splits as constraints on the units themselves (β-CROWN's, inside the backward pass). */
  readonly splits: readonly SplitConstraint[];
  /** 2^−depth: the domain's share of the search tree. */
  readonly share: number;
  /** Per row, the slopes and multipliers its parent's bound ended with: where this one's start. */
  readonly warm: readonly (AlphaState | undefined)[];
}

/**
 * Whether the rows' conjunction can hold anywhere in the box, by branch and bound from the box's
 * bounds `root` (every layer's, as crownBounds gives them).
 */
export async function branchAndBound(
  net: Network,
  box: Interval,
  root: readonly Interval[],
  rows: readonly OutputRow[],
  opts: BabOptions,
): Promise<BabResult> {
  const L = net.layers.length;
  const relus = reluInputs(net);
  const reluAt = new Map(relus.map((r) => [r.layer, r.value]));
  const coefs = rows.map((r) => Float64Array.from(r.coef));
  const leafUnits = opts.leafUnits ?? 0;
  // with α,β-CROWN's steps the multipliers bring the splits into the bound, and the pixel-space
  // cuts are not made: beside the steps they cost a fifth of the time and ruled out few more
  // domains (256×4 prop_10_0.05: 12,249 with them, 12,517 without; benchmarks/verify/README.md)
  const steps = opts.alphaIterations ?? BAB_ALPHA_ITERATIONS;
  const refineShare = 2 ** -(opts.refineDepth ?? REFINE_DEPTH);
  const stack: Domain[] = [{ bounds: root, cuts: [], splits: [], share: 1, warm: [] }];
  let domains = 0;
  let settled = 0;
  let open = false; // a leaf left open: the answer can no longer be unsat
  // the rows CROWN carries back through a domain, read until the next domain's pass (the
  // branching scores) and made in one reused buffer (a fresh array each costs more than its use)
  const carried = new Scratch();
  const alloc = (n: number) => carried.take(n);
  while (stack.length) {
    if (performance.now() >= opts.deadline) return { status: "timeout", domains, settled };
    const d = stack.pop() as Domain;
    domains++;
    // the rows over each ReLU's output, as CROWN carries them back: the branching scores
    const seen = new Map<number, readonly Float64Array[]>();
    carried.release();
    // each affine layer's rounding term over the domain's bounds, computed once for its passes
    const memo: RoundingMemo = new Map();
    const f = linearLowerBounds(
      net,
      d.bounds as Interval[],
      L,
      coefs,
      box,
      undefined,
      (l, over) => {
        if (reluAt.has(l)) seen.set(l, over);
      },
      undefined,
      { alloc, memo },
    );
    const lb = minOverBox(f, box);
    const logits = d.bounds[L] as Interval;
    const ibp = rows.map((r) => intervalBound(r, logits));
    // each row's gap: the better of CROWN's and IBP's bound, less the row's bound
    const gap = (i: number) => Math.max(ibp[i] as number, lb[i] as number) - (rows[i] as OutputRow).bound;
    // the splits' pixel-space cuts through their multipliers (domains have none when α,β-CROWN
    // steps run), then α,β-CROWN's steps from the parent's slopes and multipliers (the root's:
    // lines tight at the worst pixels), row by row from the nearest to being ruled out: one row
    // ruled out rules the domain out, and the rest are then not worked on
    const order = rows.map((_, i) => i).sort((a, b) => gap(b) - gap(a));
    const warm = [...d.warm];
    for (const i of order) {
      const r = rows[i] as OutputRow;
      if (gap(i) > 0) break;
      if (d.cuts.length) lb[i] = withCuts(f, i, d.cuts, box, r.bound, lb[i] as number);
      if ((lb[i] as number) > r.bound) break;
      // the parent's slopes cover every unstable unit (a child's are a subset), so a warm start
      // reads no `init`: the lines tight at the worst pixels (a forward pass) only where none
      const from = d.warm[i];
      const a = alphaLowerBound(net, d.bounds, L, coefs[i] as Float64Array, box, {
        ...(from ? { warm: from } : { init: tightSlopes(net, boxMinimiser(f.coef[i] as Float64Array, box)) }),
        iterations: steps,
        target: r.bound,
        splits: d.splits,
        memo,
      });
      if (a.state) warm[i] = a.state;
      let v = a.value;
      if (v <= r.bound && d.cuts.length) v = withCuts(a.linear, 0, d.cuts, box, r.bound, v);
      lb[i] = Math.max(lb[i] as number, v);
      if ((lb[i] as number) > r.bound) break;
    }
    // the row nearest to being ruled out: ruled out, or the one the split should help
    let best = -1;
    let bestGap = Number.NEGATIVE_INFINITY;
    rows.forEach((_, i) => {
      if (gap(i) > bestGap) {
        bestGap = gap(i);
        best = i;
      }
    });
    if (bestGap > 0) {
      settled += d.share;
      continue;
    }
    // where the relaxation says the row is least, the network itself may meet the rows
    const hit = await opts.probe?.(
      boxMinimiser(f.coef[best] as Float64Array, box),
      d.share >= 2 ** -PROBE_DEPTH,
    );
    if (hit) return { status: "sat", x: hit.x, y: hit.y, domains, settled };
    // (BaBSR's score from plain CROWN's coefficients: scored from the optimised bound's instead,
    // 256×4 prop_3_0.03 settled 1.4 % of its search in 90 s against 12.4 %)
    const pick = branchingUnit(d.bounds, relus, seen, best);
    if (pick === undefined || pick.unstable <= leafUnits) {
      const a = await opts.leaf(d.bounds);
      if (a.status === "sat") return { status: "sat", x: a.x, y: a.y, domains, settled };
      if (a.status === "empty") {
        settled += d.share;
        continue;
      }
      // a leaf out of time is split like any domain (its halves are smaller MILPs, or ruled out
      // by their own bounds); one that cannot be split, or whose candidate failed, stays open
      if (!(a.retry && pick)) {
        open = true;
        continue;
      }
    }
    const { value, unit } = pick.split;
    const sides = steps ? undefined : splitCuts(net, d.bounds, value, unit, box);
    // the inactive side first: popped last (a depth-first search, memory linear in the depth)
    for (const active of [true, false]) {
      const clipped = splitBounds(net, d.bounds, { value, unit, active });
      const b = clipped && d.share / 2 >= refineShare ? refineBounds(net, clipped, value + 1, box) : clipped;
      const cuts = sides ? [...d.cuts, sides[active ? 0 : 1]] : d.cuts;
      // a side its bounds find empty is settled with no bound to compute
      if (!b) settled += d.share / 2;
      else
        stack.push({
          bounds: b,
          cuts,
          splits: [...d.splits, { value, unit, sign: active ? 1 : -1 }],
          share: d.share / 2,
          warm,
        });
    }
  }
  return { status: open ? "unknown" : "unsat", domains, settled };
}

/**
 * The cuts of a split's active and inactive sides: each side's constraint s·z ≥ 0 (s = +1
 * active, −1 inactive) relaxed to the pixels, CROWN's lower bound L(p) ≤ −s·z giving
 * −L(p) ≥ s·z ≥ 0 (for a first layer, the split itself).
 */
function splitCuts(
  net: Network,
  bounds: readonly Interval[],
  value: number,
  unit: number,
  box: Interval,
): readonly [Cut, Cut] {
  const n = (bounds[value] as Interval).lo.length;
  const unitRow = (sign: number) => {
    const r = new Float64Array(n);
    r[unit] = sign;
    return r;
  };
  const z = linearLowerBounds(net, bounds as Interval[], value, [unitRow(-1), unitRow(1)], box);
  const cut = (k: number): Cut => {
    const coef = (z.coef[k] as Float64Array).map((v) => -v);
    let size = 0;
    for (let q = 0; q < coef.length; q++)
      size +=
        Math.abs(coef[q] as number) * Math.max(Math.abs(box.lo[q] as number), Math.abs(box.hi[q] as number));
    return { coef, constant: -(z.constant[k] as number), size };
  };
  return [cut(0), cut(1)];
}

/** Iterations of the multipliers' ascent per row and domain. */
const CUT_ITERATIONS = 20;
/**
 * Steps without a better bound after which the ascent stops: on domains it cannot rule out (most
 * of a search that times out) the Polyak steps aim at an unreachable target and stall, and the
 * full twenty steps were most of branch and bound's time.
 */
const CUT_PATIENCE = 3;

/**
 * A lower bound of row i's function f over the box ∩ {every cut ≥ 0}: for multipliers λ ≥ 0,
 * min over the box of f − Σ λ_j·h_j is one (each h_j ≥ 0 there), so λ climbs by supergradient
 * steps (−h_j at the minimiser) sized by Polyak's rule toward `target` (the row's bound: beating
 * it rules the domain out). Returns the best bound seen, never below `start` (λ = 0).
 */
function withCuts(
  f: PixelLinear,
  i: number,
  cuts: readonly Cut[],
  box: Interval,
  target: number,
  start: number,
): number {
  const base = f.coef[i] as Float64Array;
  const n = base.length;
  const lambda = new Float64Array(cuts.length);
  const coef = new Float64Array(n);
  let best = start;
  let stalled = 0;
  for (let it = 0; it < CUT_ITERATIONS; it++) {
    // the Lagrangian's coefficients, its minimiser over the box, and its value there
    coef.set(base);
    let constant = f.constant[i] as number;
    let mass = Math.abs(constant);
    cuts.forEach((h, j) => {
      const l = lambda[j] as number;
      if (l === 0) return;
      for (let q = 0; q < n; q++) coef[q] = (coef[q] as number) - l * (h.coef[q] as number);
      constant -= l * h.constant;
      mass += l * (Math.abs(h.constant) + h.size);
    });
    const p = Float64Array.from(coef, (c, q) => (c > 0 ? (box.lo[q] as number) : (box.hi[q] as number)));
    let value = constant;
    for (let q = 0; q < n; q++) {
      const term = (coef[q] as number) * (p[q] as number);
      value += term;
      mass += Math.abs(term);
    }
    // the float64 rounding of this sum (the cuts' own is in their constants)
    value -= 1e-9 * (1 + mass);
    if (value > best + 1e-9 * (1 + Math.abs(best))) {
      best = value;
      stalled = 0;
    } else if (++stalled >= CUT_PATIENCE) break;
    if (best > target) break;
    // supergradient −h_j(p), projected onto λ ≥ 0, and Polyak's step toward the target
    const grad = cuts.map((h) => {
      let v = h.constant;
      for (let q = 0; q < n; q++) v += (h.coef[q] as number) * (p[q] as number);
      return -v;
    });
    const norm = grad.reduce((t, g, j) => t + (g < 0 && (lambda[j] as number) === 0 ? 0 : g * g), 0);
    if (norm === 0) break;
    const step = (target - value + 1e-6 * (1 + Math.abs(target))) / norm;
    grad.forEach((g, j) => {
      lambda[j] = Math.max(0, (lambda[j] as number) + step * g);
    });
  }
  return best;
}

/**
 * The unstable ReLU to split: the largest |a|·u·(−l)/(u − l) over units whose row coefficient a
 * is negative (the upper line's intercept that CROWN pays there), the widest interval weighted by
 * |a| when no unit pays one; with the count of unstable units.
 */
function branchingUnit(
  bounds: readonly Interval[],
  relus: readonly { layer: number; value: number }[],
  seen: ReadonlyMap<number, readonly Float64Array[]>,
  row: number,
): { split: Omit<ReluSplit, "active">; unstable: number } | undefined {
  let unstable = 0;
  // the best by intercept, and by weighted width (used when no unit pays an intercept)
  let byIntercept: Omit<ReluSplit, "active"> | undefined;
  let byWidth: Omit<ReluSplit, "active"> | undefined;
  let topIntercept = 0;
  let topWidth = -1;
  for (const { layer, value } of relus) {
    const iv = bounds[value] as Interval;
    const a = seen.get(layer)?.[row];
    for (let i = 0; i < iv.lo.length; i++) {
      const l = iv.lo[i] as number;
      const u = iv.hi[i] as number;
      if (!(l < 0 && u > 0)) continue;
      unstable++;
      const ai = a ? (a[i] as number) : 0;
      const intercept = ai < 0 ? (-ai * u * -l) / (u - l) : 0;
      if (intercept > topIntercept) {
        topIntercept = intercept;
        byIntercept = { value, unit: i };
      }
      const width = Math.abs(ai) * (u - l);
      if (width > topWidth) {
        topWidth = width;
        byWidth = { value, unit: i };
      }
    }
  }
  const split = byIntercept ?? byWidth;
  return split ? { split, unstable } : undefined;
}
