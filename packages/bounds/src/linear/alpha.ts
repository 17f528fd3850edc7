// α-CROWN (Xu et al. 2021): the lower slope α ∈ [0, 1] of every unstable ReLU is a free
// parameter of CROWN's bound — any choice is sound — so it is optimised, per bounded row, by
// projected gradient ascent on the bound itself. The bound is the minimum over the box of a
// linear function of the pixels whose coefficients are made by the backward pass; with the
// relaxation chosen at each unit held fixed, it is linear in each layer's carried row, so its
// gradient with respect to α at unit i of a ReLU layer is λ_i·ẑ_i: the row's coefficient there
// times the unit's input evaluated by the relaxed network (each ReLU replaced by the line the
// backward pass used) at the box's minimising pixels. One backward and one forward pass an
// iteration; every iterate's bound is itself sound, and the best is kept.
//
// β-CROWN (Wang et al. 2021): on a branch-and-bound domain, each split says s·z_v ≥ 0 for one
// ReLU input (s = +1 active, −1 inactive). For β ≥ 0, f ≥ f − β·s·z_v there, so the term −β·s·z_v
// joins the row in the backward pass at value v and every layer below carries the sum: the
// split reaches the relaxations under it, which clipping the unit's interval alone does not. Its
// gradient is −s·ẑ_v, ẑ from the same relaxed forward pass; β climbs with the slopes.
import type { Layer, Network, Shape } from "@rho/models/core";
import { addWeightedRows, moduleFor } from "@rho/models/core";
import { inputInterval } from "../intervals/ibp.js";
import type { Interval } from "../intervals/rules.js";
import { reluInputs } from "../intervals/split.js";
import {
  ADAPTIVE_SLOPE,
  type AffineMap,
  affineMap,
  carriedExactly,
  type LowerSlope,
  linearLowerBounds,
  minOverBox,
  type PassScratch,
  type PixelLinear,
  pixelTerms,
  type RoundingMemo,
} from "./crown.js";
import { matVecSparse, transposed } from "./dense-kernels.js";
import { fresh, Scratch } from "./scratch.js";
import { boxMinimiser } from "./tight-slopes.js";

export interface AlphaOptions {
  /** Gradient steps (default 20). */
  readonly iterations?: number;
  /** Adam's step size on α (default 0.1). */
  readonly lr?: number;
  /** The slopes to start from (default CROWN's adaptive choice). */
  readonly init?: LowerSlope;
  /** Stop as soon as the bound exceeds this (the row is proved; default never). */
  readonly target?: number;
  /** The domain's split constraints, each s·z_v ≥ 0, brought in with optimised multipliers β. */
  readonly splits?: readonly SplitConstraint[];
  /** Adam's step size on β (default 0.05). */
  readonly betaLr?: number;
  /**
   * Where to start instead: the slopes and multipliers another bound ended with (a branch-and-bound
   * domain's parent's, as α,β-CROWN passes them down). Its slopes replace `init` wherever it has
   * one; splits it has no multiplier for start at 0. Any start is sound: only the bound's
   * tightness depends on it.
   */
  readonly warm?: AlphaState;
  /** Rounding terms already computed over these same bounds (by a CROWN pass over them, say). */
  readonly memo?: RoundingMemo;
}

/** The slopes per ReLU layer (by unit) and the split multipliers (by splitKey) of one bound. */
export interface AlphaState {
  readonly alpha: ReadonlyMap<number, Float64Array>;
  readonly beta: ReadonlyMap<string, number>;
}

/** A split's key in AlphaState's multipliers: its value and unit (its side is the domain's). */
export const splitKey = (s: { readonly value: number; readonly unit: number }): string =>
  `${s.value}:${s.unit}`;

/** sign·z ≥ 0 for unit `unit` of value `value` (a ReLU's input): one split of a domain. */
export interface SplitConstraint {
  readonly value: number;
  readonly unit: number;
  readonly sign: 1 | -1;
}

export interface AlphaBound {
  /** The best lower bound of row·z_k over the box found, and its linear function of the pixels. */
  readonly value: number;
  readonly linear: PixelLinear;
  /** Steps taken. */
  readonly iterations: number;
  /** The slopes and multipliers of the best bound (undefined when no step was taken). */
  readonly state?: AlphaState;
}

/**
 * Whether `alphaLowerBound` can optimise this network's slopes: every layer is ReLU or one CROWN
 * carries back exactly (the relaxed forward pass runs those layers' own forward passes).
 */
export const optimisable = (net: Network): boolean =>
  net.layers.every((l) => l.kind === "relu" || carriedExactly(l.kind));

/**
 * A lower bound on row·z_k over the pixel box (z_k the values after k layers), given bounds of
 * every layer's values below k, with the unstable ReLUs' lower slopes optimised for this row.
 * Never worse than the starting slopes' bound. Networks with other non-linear layers (max-pool)
 * get the starting slopes' bound.
 */
export function alphaLowerBound(
  net: Network,
  bounds: readonly Interval[],
  k: number,
  row: Float64Array,
  box: Interval,
  opts: AlphaOptions = {},
): AlphaBound {
  const iterations = optimisable(net) ? (opts.iterations ?? 20) : 0;
  const lr = opts.lr ?? 0.1;
  const betaLr = opts.betaLr ?? 0.05;
  const init = opts.init ?? ADAPTIVE_SLOPE;
  const target = opts.target ?? Number.POSITIVE_INFINITY;
  // splits at or above k do not constrain what lies below it
  const splits = (opts.splits ?? []).filter((s) => s.value < k);
  if (iterations === 0) {
    // the starting slopes' bound, as plain CROWN gives it (branch and bound's default per domain)
    const linear = linearLowerBounds(net, bounds as Interval[], k, [Float64Array.from(row)], box, init);
    return { value: minOverBox(linear, box)[0] as number, linear, iterations: 0 };
  }
  const inputs = reluIntervals(net, bounds, k);
  // the ascent's own working arrays (slopes, multipliers, Adam's moments) live as long as it does;
  // each step's, until the next step
  const ascent = takeScratch();
  const scratch = takeScratch();
  const own = (n: number) => ascent.take(n);
  // α per ReLU layer and unit, from the starting slopes (only unstable units' entries are read),
  // and Adam's moments
  const alpha = new Map<number, Float64Array>();
  for (const [layer, iv] of inputs) {
    const given = opts.warm?.alpha.get(layer);
    const a = own(iv.lo.length);
    for (let i = 0; i < a.length; i++) {
      const l = iv.lo[i] as number;
      const u = iv.hi[i] as number;
      if (l < 0 && u > 0)
        a[i] = clamp01(given && given.length === a.length ? (given[i] as number) : init(l, u, i, layer));
    }
    alpha.set(layer, a);
  }
  const zeros = (alloc = own) => new Map([...alpha].map(([layer, a]) => [layer, alloc(a.length)]));
  const m = zeros();
  const v = zeros();
  const beta = own(splits.length);
  splits.forEach((s, j) => {
    beta[j] = Math.max(0, opts.warm?.beta.get(splitKey(s)) ?? 0);
  });
  const betaMoments = { m: own(splits.length), v: own(splits.length) };
  let best: Omit<AlphaBound, "state"> | undefined;
  // the best step's slopes (returned: arrays of their own) and multipliers (the ascent goes on
  // changing its own)
  const bestAlpha = zeros(fresh);
  const bestBeta = own(splits.length);
  const first: FirstLayer = { alloc: own };
  // the pixel coefficients in two arrays an ascent: the best step's, and the one written next
  const coefs = [new Float64Array(box.lo.length), new Float64Array(box.lo.length)];
  let kept = 1;
  const pass: PassScratch = {
    // the bounds stay as they are through the steps: each layer's rounding term is computed once
    memo: opts.memo ?? (new Map() as RoundingMemo),
    alloc: (n) => scratch.take(n),
    coef: (n) => (n === box.lo.length ? (coefs[1 - kept] as Float64Array).fill(0) : new Float64Array(n)),
    terms: pixelTerms(net, box, own),
  };
  try {
    for (let it = 0; ; it++) {
      scratch.release();
      const at = boundAt(net, bounds, k, row, box, alpha, inputs, splits, beta, pass);
      if (!best || at.value > best.value) {
        best = { value: at.value, linear: at.linear, iterations: it };
        kept = 1 - kept;
        for (const [layer, a] of alpha) (bestAlpha.get(layer) as Float64Array).set(a);
        bestBeta.set(beta);
      }
      if (it >= iterations || at.value > target) break;
      const { grad, acts } = slopeGradient(net, k, box, alpha, inputs, at, first, pass.alloc);
      // Adam, ascending: α projected onto [0, 1], β onto β ≥ 0
      const t = it + 1;
      for (const [layer, g] of grad)
        adamStep(
          alpha.get(layer) as Float64Array,
          g,
          m.get(layer) as Float64Array,
          v.get(layer) as Float64Array,
          t,
          lr,
          clamp01,
        );
      if (splits.length) {
        const g = betaGradient(splits, acts, scratch.take(splits.length));
        adamStep(beta, g, betaMoments.m, betaMoments.v, t, betaLr, nonNegative);
      }
    }
    const state: AlphaState = {
      alpha: bestAlpha,
      beta: new Map(splits.map((s, j) => [splitKey(s), bestBeta[j] as number])),
    };
    return { ...(best as Omit<AlphaBound, "state">), state };
  } finally {
    giveScratch(scratch);
    giveScratch(ascent);
  }
}

/** Scratch buffers not in use: an ascent takes one (a nested ascent, should one run, another). */
const idle: Scratch[] = [];
const takeScratch = (): Scratch => idle.pop() ?? new Scratch();
const giveScratch = (s: Scratch): void => {
  s.release();
  idle.push(s);
};

/** One ascending Adam step on x with gradient g, each coordinate projected by `project`. */
function adamStep(
  x: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  lr: number,
  project: (x: number) => number,
): void {
  // the bias corrections once a step, not per unit (the same values)
  const c1 = 1 - B1 ** t;
  const c2 = 1 - B2 ** t;
  for (let i = 0; i < g.length; i++) {
    const gi = g[i] as number;
    if (gi === 0) continue;
    m[i] = B1 * (m[i] as number) + (1 - B1) * gi;
    v[i] = B2 * (v[i] as number) + (1 - B2) * gi * gi;
    const mHat = (m[i] as number) / c1;
    const vHat = (v[i] as number) / c2;
    x[i] = project((x[i] as number) + (lr * mHat) / (Math.sqrt(vHat) + 1e-12));
  }
}

const nonNegative = (x: number) => Math.max(0, x);

/** Adam's moment decay rates. */
const B1 = 0.9;
const B2 = 0.999;

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** CROWN's bound with the slopes `alpha`, its linear function, and the row carried to each ReLU. */
interface BoundAt {
  readonly value: number;
  readonly linear: PixelLinear;
  readonly carried: ReadonlyMap<number, Float64Array>;
}

/** The ReLU layers below k and their input bounds. */
const reluIntervals = (net: Network, bounds: readonly Interval[], k: number) =>
  new Map(
    reluInputs(net)
      .filter((r) => r.layer < k)
      .map((r) => [r.layer, inputInterval(net, r.layer, bounds as Interval[])]),
  );

function boundAt(
  net: Network,
  bounds: readonly Interval[],
  k: number,
  row: Float64Array,
  box: Interval,
  alpha: ReadonlyMap<number, Float64Array>,
  inputs: ReadonlyMap<number, Interval>,
  splits: readonly SplitConstraint[],
  beta: Float64Array,
  pass: PassScratch = {},
): BoundAt {
  const carried = new Map<number, Float64Array>();
  const slope: LowerSlope = (_l, _u, unit, layer) => (alpha.get(layer) as Float64Array)[unit] as number;
  // the row and the carried copies where the pass makes its rows (the step's buffer, or fresh)
  const alloc = pass.alloc ?? fresh;
  const copy = (a: Float64Array) => {
    const c = alloc(a.length);
    c.set(a);
    return c;
  };
  const linear = linearLowerBounds(
    net,
    bounds as Interval[],
    k,
    [copy(row)],
    box,
    slope,
    (l, over) => {
      if (inputs.has(l)) carried.set(l, copy(over[0] as Float64Array));
    },
    splits.length
      ? (value, over) => {
          const r = over[0] as Float64Array;
          splits.forEach((s, j) => {
            if (s.value === value) r[s.unit] = (r[s.unit] as number) - (beta[j] as number) * s.sign;
          });
        }
      : undefined,
    pass,
  );
  return { value: minOverBox(linear, box)[0] as number, linear, carried };
}

/**
 * The bound's gradient with respect to the slopes: λ_i·ẑ_i for unstable units whose carried
 * coefficient λ_i is positive (those use the lower line α·z), 0 elsewhere, ẑ from the relaxed
 * forward pass at the pixels where the bound's linear function is least.
 */
function slopeGradient(
  net: Network,
  k: number,
  box: Interval,
  alpha: ReadonlyMap<number, Float64Array>,
  inputs: ReadonlyMap<number, Interval>,
  { linear, carried }: BoundAt,
  first: FirstLayer = {},
  alloc: (n: number) => Float64Array = fresh,
): { grad: Map<number, Float64Array>; acts: Float64Array[] } {
  const coef = linear.coef[0] as Float64Array;
  const p = boxMinimiser(coef, box, alloc(coef.length));
  const acts: Float64Array[] = [net.preprocessInput(p, alloc(coef.length))];
  const grad = new Map<number, Float64Array>();
  for (let l = 0; l < k; l++) {
    const layer = net.layers[l] as Layer;
    const input = net.inputOf(l, acts);
    if (layer.kind !== "relu") {
      const inShape = net.inShapes[l] as Shape;
      const outShape = net.shapes[l + 1] as Shape;
      // a dense layer by the columns of its affine map, skipping the inputs the relaxation
      // switched off (this forward pass only steers the ascent: its rounding is not the bound's)
      const m = affineMap(layer, inShape, outShape);
      if (!m.dense) acts.push(moduleFor(layer).forward(layer, input, inShape, outShape));
      else if (l === 0) acts.push(firstLayer(m, input, first, alloc));
      else
        acts.push(
          matVecSparse(transposed(m.weights, m.constant.length), input, m.constant, alloc(m.constant.length)),
        );
      continue;
    }
    const iv = inputs.get(l) as Interval;
    const lam = carried.get(l);
    const a = alpha.get(l) as Float64Array;
    const g = alloc(input.length);
    const out = alloc(input.length);
    for (let i = 0; i < input.length; i++) {
      const z = input[i] as number;
      const lo = iv.lo[i] as number;
      const hi = iv.hi[i] as number;
      const li = lam ? (lam[i] as number) : 0;
      if (lo >= 0) out[i] = z;
      else if (hi <= 0) out[i] = 0;
      else if (li > 0) {
        out[i] = (a[i] as number) * z;
        g[i] = li * z;
      } else if (li < 0) out[i] = (hi / (hi - lo)) * (z - lo);
    }
    grad.set(l, g);
    acts.push(out);
  }
  return { grad, acts };
}

/** The first dense layer's last input and output within one ascent (copies): the next is an update. */
interface FirstLayer {
  last?: { readonly x: Float64Array; readonly y: Float64Array };
  /** Where the kept copies are made (default: fresh arrays). */
  readonly alloc?: (n: number) => Float64Array;
}

/**
 * The first dense layer's output at input x. The minimising pixels move from one step to the next
 * in a few pixels only (a box corner, a coefficient's sign apart), so from the last step's output
 * it adds each moved pixel's column times its move: a few columns instead of the whole matrix
 * (the whole product when more than an eighth of the pixels moved).
 */
function firstLayer(
  m: AffineMap,
  x: Float64Array,
  memo: FirstLayer,
  alloc: (n: number) => Float64Array,
): Float64Array {
  const rows = m.constant.length;
  const wT = transposed(m.weights, rows);
  const last = memo.last;
  let y: Float64Array | undefined;
  if (last) {
    // each pixel's move (0 where it stayed), added as its column of W times the move
    const move = alloc(x.length);
    let moved = 0;
    for (let i = 0; i < x.length; i++) {
      move[i] = (x[i] as number) - (last.x[i] as number);
      if (move[i] !== 0) moved++;
    }
    if (moved <= x.length / 8) {
      y = alloc(rows);
      y.set(last.y);
      addWeightedRows(y, wT, rows, move);
    }
  }
  y ??= matVecSparse(wT, x, m.constant, alloc(rows));
  // kept in the ascent's own arrays: x and y are the step's working arrays
  const make = memo.alloc ?? fresh;
  const kept = memo.last ?? { x: make(x.length), y: make(rows) };
  kept.x.set(x);
  kept.y.set(y);
  memo.last = kept;
  return y;
}

/**
 * CROWN's bound on row·z_k with the lower slopes `alpha` (and the split terms −β_j·s_j·z_{v_j}, if
 * given), and its gradients with respect to the slopes and to β (for tests: they should agree
 * with finite differences).
 */
export function boundAndGradient(
  net: Network,
  bounds: readonly Interval[],
  k: number,
  row: Float64Array,
  box: Interval,
  alpha: ReadonlyMap<number, Float64Array>,
  splits: readonly SplitConstraint[] = [],
  beta = new Float64Array(splits.length),
): { value: number; linear: PixelLinear; grad: Map<number, Float64Array>; betaGrad: Float64Array } {
  const inputs = reluIntervals(net, bounds, k);
  const at = boundAt(net, bounds, k, row, box, alpha, inputs, splits, beta);
  const { grad, acts } = slopeGradient(net, k, box, alpha, inputs, at);
  return { value: at.value, linear: at.linear, grad, betaGrad: betaGradient(splits, acts) };
}

/** The bound's gradient in β: −s·ẑ_v per split, ẑ the relaxed forward pass's values (into `out`). */
function betaGradient(
  splits: readonly SplitConstraint[],
  acts: readonly Float64Array[],
  out: Float64Array = new Float64Array(splits.length),
): Float64Array {
  splits.forEach((s, j) => {
    out[j] = -s.sign * ((acts[s.value] as Float64Array)[s.unit] as number);
  });
  return out;
}

export interface AlphaBoundsOptions {
  /** Gradient steps per bound (default 20). */
  readonly iterations?: number;
  /** performance.now() after which no more units are tightened (the bounds so far are kept). */
  readonly deadline?: number;
}

/**
 * Every ReLU's input bounds tightened by α-CROWN, layer by layer from the first: each unstable
 * unit's lower and upper bound with slopes optimised for it (stopping early once the unit is
 * proved stable), each layer's using the layers' below as tightened. Returns new bounds (the
 * given ones are not changed), and whether every unit was reached before the deadline. A layer whose bounds CROWN
 * computes exactly (no ReLU below it) is left as it is.
 */
export function alphaBounds(
  net: Network,
  pixels: Interval,
  given: readonly Interval[],
  opts: AlphaBoundsOptions = {},
): { bounds: Interval[]; complete: boolean } {
  const bounds = given.map((b) => ({ lo: Float64Array.from(b.lo), hi: Float64Array.from(b.hi) }));
  if (!optimisable(net)) return { bounds, complete: true };
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
  const iterations = opts.iterations ?? 20;
  const relus = reluInputs(net);
  for (const { layer, value: k } of relus) {
    // the layers below k: without a ReLU among them CROWN's bound is already exact
    if (!relus.some((r) => r.value < k)) continue;
    const b = bounds[k] as Interval;
    // the ReLU's output follows its input (the next layer's rounding bound reads it)
    const out = bounds[layer + 1] as Interval;
    const follow = (i: number) => {
      out.lo[i] = Math.max(out.lo[i] as number, Math.max(0, b.lo[i] as number));
      out.hi[i] = Math.min(out.hi[i] as number, Math.max(0, b.hi[i] as number));
    };
    const n = b.lo.length;
    for (let i = 0; i < n; i++) {
      if (!((b.lo[i] as number) < 0 && (b.hi[i] as number) > 0)) continue;
      if (performance.now() >= deadline) return { bounds, complete: false };
      const unit = (sign: number) => {
        const r = new Float64Array(n);
        r[i] = sign;
        return r;
      };
      const lo = alphaLowerBound(net, bounds, k, unit(1), pixels, { iterations, target: 0 }).value;
      if (lo > (b.lo[i] as number)) b.lo[i] = lo;
      if ((b.lo[i] as number) < 0) {
        const hi = -alphaLowerBound(net, bounds, k, unit(-1), pixels, { iterations, target: 0 }).value;
        if (hi < (b.hi[i] as number)) b.hi[i] = hi;
      }
      follow(i);
    }
  }
  return { bounds, complete: true };
}
