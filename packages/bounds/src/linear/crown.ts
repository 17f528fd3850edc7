// CROWN (Zhang et al. 2018) / DeepPoly: linear bounds propagated backwards. A lower bound on a
// linear function Σ A·z of one layer's values is carried back layer by layer — exactly through
// affine layers, through ReLU and max-pool by linear relaxations chosen per coefficient sign — down
// to the pixels, where the box gives its minimum. One backward rule per layer kind; the walker
// never special-cases one. Relaxations need bounds on every non-linear layer's input: interval
// bounds (IBP), tightened by CROWN itself where that is cheap (small layers), layer by layer.
//
// Floating point: each affine layer's float32 rounding is an extra term e with |e| ≤ δ, δ the
// widening IBP uses (rules.ts); backwards it costs Σ|A|·δ. The backward pass's own float64
// rounding is covered by a final relative slack of 1e-9 of the bound's magnitude.
import { LAYER_ENCODERS, poolCells } from "@rho/encoders";
import { addWeightedRows, type Layer, type LayerKind, type Network, type Shape } from "@rho/models/core";
import { inputInterval } from "../intervals/ibp.js";
import type { Interval } from "../intervals/rules.js";
import { roundingFactor } from "../intervals/rules.js";
import { transposed } from "./dense-kernels.js";
import { fresh, Scratch } from "./scratch.js";

/** A batch of linear functions over one layer's values: rows[r]·z + constant[r]. */
export interface LinearRows {
  readonly rows: Float64Array[];
  readonly constant: Float64Array;
  /** Σ of |terms| dropped or bounded so far, for the final rounding slack. */
  readonly mass: Float64Array;
}

interface BackwardContext<L extends Layer> {
  readonly layer: L;
  readonly inShape: Shape;
  readonly outShape: Shape;
  /** Bounds of the layer's input and output values. */
  readonly input: Interval;
  readonly output: Interval;
  /** The lower slope α ∈ [0, 1] of an unstable ReLU with input in [l, u]. */
  readonly slope: LowerSlope;
  /** The layer's index in the network (per-unit slopes are keyed by it). */
  readonly index: number;
  /** Rounding terms already computed over these bounds (see `RoundingMemo`). */
  readonly memo: RoundingMemo | undefined;
  /** A zeroed array for the rows carried below the layer (`PassScratch`). */
  readonly alloc: (n: number) => Float64Array;
}

/**
 * The float32 rounding terms δ of the affine layers, by layer, for passes over bounds that do not
 * change between them (α-CROWN's steps over one domain): each is computed once, not per pass.
 */
export type RoundingMemo = Map<number, Float64Array>;

/**
 * What a caller running many passes over the same bounds (α-CROWN's steps over one domain) lends
 * each: the rounding terms computed so far, and where the rows carried between layers are made
 * (a `Scratch`'s arrays, reused from pass to pass: the caller says how long the rows `onRows`
 * shows it live — α-CROWN copies the ones it keeps, branch and bound reads its scores before its
 * next pass).
 */
export interface PassScratch {
  readonly memo?: RoundingMemo;
  readonly alloc?: (n: number) => Float64Array;
  /** A zeroed array for a row's pixel coefficients (the result: the caller decides how long it lives). */
  readonly coef?: (n: number) => Float64Array;
  /** `pixelTerms` of the net and the box every pass of this caller is over. */
  readonly terms?: PixelTerms;
}

/**
 * Per pixel, what the last step of a backward pass reads: the preprocessing's scale and shift,
 * the box's magnitude max(|lo|, |hi|), and the size its float32 rounding is bounded by.
 */
export interface PixelTerms {
  readonly scale: Float64Array;
  readonly shift: Float64Array;
  readonly big: Float64Array;
  readonly size: Float64Array;
}

/** The `PixelTerms` of a network's preprocessing over a pixel box. */
export function pixelTerms(net: Network, pixels: Interval, alloc = fresh): PixelTerms {
  const { scale, shift } = net.preprocess;
  const ch = scale.length;
  const n = pixels.lo.length;
  const t: PixelTerms = { scale: alloc(n), shift: alloc(n), big: alloc(n), size: alloc(n) };
  for (let i = 0; i < n; i++) {
    const s = scale[i % ch] as number;
    const b = shift[i % ch] as number;
    const big = Math.max(Math.abs(pixels.lo[i] as number), Math.abs(pixels.hi[i] as number));
    t.scale[i] = s;
    t.shift[i] = b;
    t.big[i] = big;
    t.size[i] = big * Math.abs(s) + Math.abs(b);
  }
  return t;
}

/** Where `pixelTerms` of a pass that brings none are made (and dropped when it ends). */
const termScratch = new Scratch();

/**
 * A choice of the lower line α·x under an unstable ReLU with input in [l, u], unit `unit` of the
 * ReLU layer `layer`; any α ∈ [0, 1] is sound.
 */
export type LowerSlope = (l: number, u: number, unit: number, layer: number) => number;
/** CROWN's adaptive choice: 1 when u ≥ −l, else 0 (the smaller area). */
export const ADAPTIVE_SLOPE: LowerSlope = (l, u) => (u >= -l ? 1 : 0);
/**
 * Lower slopes tried per margin, the best bound kept (a candidate-set form of α-CROWN's
 * optimised slopes): adaptive, the upper line's slope u/(u − l) (DeepPoly's parallel choice),
 * 0 and 1.
 */
export const SLOPE_CANDIDATES: readonly LowerSlope[] = [
  ADAPTIVE_SLOPE,
  (l, u) => u / (u - l),
  () => 0,
  () => 1,
];

/** Carries lower-bounding linear functions of a layer's output back to its input. */
type BackwardRule<L extends Layer> = (ctx: BackwardContext<L>, f: LinearRows) => LinearRows;

const size = (s: Shape) => s.reduce((a, b) => a * b, 1);

/** A layer's exact affine map as CSR (outputs × inputs) with its constant, made once per layer. */
export interface AffineMap {
  readonly starts: Int32Array;
  readonly indices: Int32Array;
  readonly weights: Float64Array;
  readonly constant: Float64Array;
  /** Fan-in for the float32 rounding bound (0: the layer rounds nothing). */
  readonly fanIn: number;
  /** Every output reads every input, in order: weights is the row-major matrix (indices unneeded). */
  readonly dense: boolean;
}
const maps = new WeakMap<object, AffineMap>();
export function affineMap<L extends Layer>(layer: L, inShape: Shape, outShape: Shape): AffineMap {
  const cached = maps.get(layer);
  if (cached) return cached;
  const encoder = LAYER_ENCODERS[layer.kind] as unknown as (typeof LAYER_ENCODERS)["dense"];
  const piece = encoder.linearize({
    layer: layer as never,
    inShape,
    outShape,
    input: new Float64Array(size(inShape)),
    tol: 0,
    ties: "first",
  });
  const n = size(outShape);
  // counted first, then filled: typed arrays of the final size only (NiN's largest layer has
  // 118 M entries; growing JS arrays to that size held several times the memory for a while)
  const starts = new Int32Array(n + 1);
  for (let o = 0; o < n; o++) {
    let count = 0;
    piece.fanIn(o, (_, v) => {
      if (v !== 0) count++;
    });
    starts[o + 1] = (starts[o] as number) + count;
  }
  const entries = starts[n] as number;
  const indices = new Int32Array(entries);
  const weights = new Float64Array(entries);
  let at = 0;
  for (let o = 0; o < n; o++)
    piece.fanIn(o, (i, v) => {
      if (v !== 0) {
        indices[at] = i;
        weights[at++] = v;
      }
    });
  const constant = piece.forward(new Float64Array(size(inShape)));
  const kinds: Partial<Record<LayerKind, number>> = { flatten: 0, dropout: 0, concat: 0 };
  const fanIn = kinds[layer.kind] ?? Math.ceil(entries / Math.max(1, n)) + 2;
  const nIn = size(inShape);
  let dense = entries === n * nIn;
  for (let e = 0; dense && e < entries; e++) dense = indices[e] === e % nIn;
  const map = { starts, indices, weights, constant, fanIn, dense };
  maps.set(layer, map);
  return map;
}

/**
 * δ_o = γ(n)·(Σ|w|·max|x| + |c|): the float32 rounding of each output of an affine map over an
 * input interval, linear in the inputs' magnitudes m = max(|lo|, |hi|). Each map keeps the last
 * few it computed. A branch-and-bound domain's intervals lie inside its parent's and differ from
 * them in a few units, so from a kept interval that contains this one, δ is the kept δ less
 * γ·Σ|w|·(m_kept − m) over the units that differ: a few columns instead of the whole matrix, and
 * the same δ as computed afresh (a kept δ taken as it is, from a much wider interval, made the
 * bounds of deep networks needlessly loose: 256×6 prop_4_0.05 was no longer proved by CROWN).
 */
interface KeptDelta {
  /** The interval's magnitudes, max(|lo|, |hi|) per input. */
  readonly magnitude: Float64Array;
  readonly delta: Float64Array;
}
const deltas = new WeakMap<AffineMap, KeptDelta[]>();
/** How many intervals' δ each map keeps. */
const KEPT_DELTAS = 8;
/** The share of a dense map's inputs that may differ for a kept δ to be updated, not recomputed. */
const UPDATE_SHARE = 1 / 4;
function roundingDeltas(m: AffineMap, input: Interval, gamma: number): Float64Array {
  const n = input.lo.length;
  const mag = new Float64Array(n);
  for (let i = 0; i < n; i++)
    mag[i] = Math.max(Math.abs(input.lo[i] as number), Math.abs(input.hi[i] as number));
  const kept = deltas.get(m) ?? [];
  // the units where a kept interval's magnitude exceeds this one's (undefined: one is below it,
  // or too many differ to update)
  const limit = m.dense ? Math.floor(n * UPDATE_SHARE) : 0;
  const differing = (k: KeptDelta): number[] | undefined => {
    const at: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = (k.magnitude[i] as number) - (mag[i] as number);
      if (d < 0) return undefined;
      if (d > 0 && at.push(i) > limit) return undefined;
    }
    return at;
  };
  for (const k of kept) {
    const at = differing(k);
    if (!at) continue;
    if (at.length === 0) return k.delta;
    // less γ·|w|·(m_kept − m), column by column, plus 1e-12 of the kept δ: more than the float64
    // rounding of these sums and of the subtraction (≤ 2⁻⁵² of the kept δ each), so the result
    // is never below δ computed afresh
    const delta = Float64Array.from(k.delta, (v) => v * (1 + 1e-12));
    const less = new Float64Array(n);
    for (const i of at) less[i] = -gamma * ((k.magnitude[i] as number) - (mag[i] as number));
    addWeightedRows(delta, absTransposed(m), delta.length, less);
    return remember(m, kept, mag, delta);
  }
  const delta = new Float64Array(m.constant.length);
  if (m.dense) {
    // by columns of |W|, skipping the inputs of magnitude 0 (a ReLU's switched-off units)
    for (let o = 0; o < delta.length; o++) delta[o] = Math.abs(m.constant[o] as number);
    addWeightedRows(delta, absTransposed(m), delta.length, mag);
    for (let o = 0; o < delta.length; o++) delta[o] = gamma * (delta[o] as number);
  } else
    for (let o = 0; o < delta.length; o++) {
      let s = Math.abs(m.constant[o] as number);
      for (let k = m.starts[o] as number; k < (m.starts[o + 1] as number); k++)
        s += Math.abs(m.weights[k] as number) * (mag[m.indices[k] as number] as number);
      delta[o] = gamma * s;
    }
  return remember(m, kept, mag, delta);
}
/** A dense map's |W|, input-major (its columns contiguous), made once per map. */
const absTransposes = new WeakMap<AffineMap, Float64Array>();
function absTransposed(m: AffineMap): Float64Array {
  const kept = absTransposes.get(m);
  if (kept) return kept;
  const t = transposed(m.weights, m.constant.length).map(Math.abs);
  absTransposes.set(m, t);
  return t;
}
function remember(m: AffineMap, kept: KeptDelta[], mag: Float64Array, delta: Float64Array): Float64Array {
  kept.unshift({ magnitude: mag, delta });
  if (kept.length > KEPT_DELTAS) kept.pop();
  deltas.set(m, kept);
  return delta;
}

const affine: BackwardRule<Layer> = ({ layer, inShape, outShape, input, index, memo, alloc }, f) => {
  const m = affineMap(layer, inShape, outShape);
  const nIn = size(inShape);
  const gamma = roundingFactor(m.fanIn);
  let delta = memo?.get(index);
  if (!delta && gamma > 0) {
    delta = roundingDeltas(m, input, gamma);
    memo?.set(index, delta);
  }
  const rows = f.rows.map((a, r) => {
    const out = alloc(nIn);
    let c = f.constant[r] as number;
    let mass = f.mass[r] as number;
    // a dense layer's rows are contiguous: no index lookups, four rows a pass
    if (m.dense) addWeightedRows(out, m.weights, nIn, a);
    for (let o = 0; o < a.length; o++) {
      const ao = a[o] as number;
      if (ao === 0) continue;
      if (!m.dense)
        for (let k = m.starts[o] as number; k < (m.starts[o + 1] as number); k++) {
          const i = m.indices[k] as number;
          out[i] = (out[i] as number) + ao * (m.weights[k] as number);
        }
      c += ao * (m.constant[o] as number);
      if (delta) c -= Math.abs(ao) * (delta[o] as number);
      mass += Math.abs(ao * (m.constant[o] as number));
    }
    f.constant[r] = c;
    f.mass[r] = mass;
    return out;
  });
  return { rows, constant: f.constant, mass: f.mass };
};

/**
 * y = max(x, 0) with x ∈ [l, u]. Stable units pass or vanish; an unstable one is bounded below by
 * α·x (α from `slope`, by default CROWN's adaptive choice) and above by u(x − l)/(u − l); a
 * positive coefficient takes the lower line, a negative one the upper.
 */
const relu: BackwardRule<Layer> = ({ input, slope, index, alloc }, f) => {
  const rows = f.rows.map((a, r) => {
    const out = alloc(a.length);
    let c = f.constant[r] as number;
    for (let i = 0; i < a.length; i++) {
      const ai = a[i] as number;
      if (ai === 0) continue;
      const l = input.lo[i] as number;
      const u = input.hi[i] as number;
      if (l >= 0) out[i] = ai;
      else if (u <= 0) continue;
      else if (ai > 0) out[i] = ai * slope(l, u, i, index);
      else {
        const s = u / (u - l);
        out[i] = ai * s;
        c -= ai * s * l;
      }
    }
    f.constant[r] = c;
    return out;
  });
  return { rows, constant: f.constant, mass: f.mass };
};

/**
 * y = max over a window. Below, y ≥ x_k for the cell k with the largest lower bound; above, y = x_k
 * when that cell's lower bound beats every other cell's upper bound, else y ≤ the largest upper
 * bound (a constant). Overlapping windows simply add their contributions.
 */
const maxpool: BackwardRule<Extract<Layer, { kind: "maxpool" }>> = (
  { layer, inShape, outShape, input, alloc },
  f,
) => {
  const n = size(outShape);
  const windows = Array.from({ length: n }, (_, o) => poolCells(layer, inShape, outShape, o));
  const best = windows.map((cs) =>
    cs.reduce((b, k) => ((input.lo[k] as number) > (input.lo[b] as number) ? k : b)),
  );
  const exact = windows.map((cs, o) =>
    cs.every((k) => k === best[o] || (input.hi[k] as number) <= (input.lo[best[o] as number] as number)),
  );
  const upper = windows.map((cs) => Math.max(...cs.map((k) => input.hi[k] as number)));
  const nIn = size(inShape);
  const rows = f.rows.map((a, r) => {
    const out = alloc(nIn);
    let c = f.constant[r] as number;
    for (let o = 0; o < n; o++) {
      const ao = a[o] as number;
      if (ao === 0) continue;
      const k = best[o] as number;
      if (ao > 0 || exact[o]) out[k] = (out[k] as number) + ao;
      else c += ao * (upper[o] as number);
    }
    f.constant[r] = c;
    return out;
  });
  return { rows, constant: f.constant, mass: f.mass };
};

type Rules = { [K in LayerKind]: BackwardRule<Extract<Layer, { kind: K }>> };
export const BACKWARD_RULES: Rules = {
  dense: affine,
  conv2d: affine,
  avgpool: affine,
  globalavgpool: affine,
  flatten: affine,
  dropout: affine,
  relu,
  maxpool,
  add: affine,
  concat: affine,
};

/** Whether CROWN carries rows back through this layer kind exactly (its affine map, no relaxation). */
export const carriedExactly = (kind: LayerKind): boolean => BACKWARD_RULES[kind] === affine;

/** Per row r, the linear function coef[r]·p + constant[r] of the pixels p. */
export interface PixelLinear {
  readonly coef: Float64Array[];
  readonly constant: Float64Array;
}

/**
 * Linear functions of the pixels below rows·z_k, z_k the values after `k` layers (k = 0: the
 * preprocessed input): rows[r]·z_k ≥ coef[r]·p + constant[r] for every pixel vector p of the box
 * `pixels`, given bounds of every layer's values below k (over that box, or over a part of it:
 * the functions then hold on that part). The float32 rounding of the preprocessing and the
 * float64 rounding of the backward pass and of a minimisation over the box are in the constants.
 */
export function linearLowerBounds(
  net: Network,
  bounds: readonly Interval[],
  k: number,
  rows: Float64Array[],
  pixels: Interval,
  slope: LowerSlope = ADAPTIVE_SLOPE,
  /** Shown the rows over each layer's output before they are carried through it (branching scores). */
  onRows?: (layer: number, rows: readonly Float64Array[]) => void,
  /**
   * May add to the rows over value v (in place) before they are carried below it: β-CROWN's split
   * multipliers enter the bound here, as terms −β·s·z_v of a constraint s·z_v ≥ 0 of the domain.
   */
  adjust?: (value: number, rows: Float64Array[]) => void,
  /** Where the rounding terms are kept, and the carried rows made, between calls over the same bounds. */
  pass: PassScratch = {},
): PixelLinear {
  const alloc = pass.alloc ?? fresh;
  // rows over each value still to carry back (a DAG: a value read by several layers, a residual
  // block's input, collects each reader's rows); the constants and masses are shared, each
  // rule adding its terms to them
  const constant = new Float64Array(rows.length);
  const mass = new Float64Array(rows.length);
  const pending = new Map<number, Float64Array[]>([[k, rows]]);
  for (let l = k - 1; l >= 0; l--) {
    const over = pending.get(l + 1);
    if (!over) continue;
    pending.delete(l + 1);
    const layer = net.layers[l] as Layer;
    adjust?.(l + 1, over);
    onRows?.(l, over);
    const rule = BACKWARD_RULES[layer.kind] as BackwardRule<Layer>;
    const back = rule(
      {
        layer,
        inShape: net.inShapes[l] as Shape,
        outShape: net.shapes[l + 1] as Shape,
        input: inputInterval(net, l, bounds),
        output: bounds[l + 1] as Interval,
        slope,
        index: l,
        memo: pass.memo,
        alloc,
      },
      { rows: over, constant, mass },
    );
    // a join's input rows split back to its values (copies); every rule returns fresh rows
    const from = net.inputs[l] as readonly number[];
    let at = 0;
    for (const src of from) {
      const n = size(net.shapes[src] as Shape);
      const part = from.length === 1 ? back.rows : back.rows.map((r) => r.slice(at, at + n));
      at += n;
      const have = pending.get(src);
      if (!have) pending.set(src, part);
      else
        have.forEach((h, r) => {
          const p = part[r] as Float64Array;
          for (let i = 0; i < n; i++) h[i] = (h[i] as number) + (p[i] as number);
        });
    }
  }
  // every value feeds the logits, so the input has rows (unless k = 0: the rows themselves)
  const f: LinearRows = { rows: pending.get(0) as Float64Array[], constant, mass };
  // the preprocessing x0 = p·scale + shift (+ its float32 rounding); the mass bounds every term's
  // size over the box, whichever pixel attains the minimum
  termScratch.release();
  const terms = pass.terms ?? pixelTerms(net, pixels, (n) => termScratch.take(n));
  const g = roundingFactor(2);
  const out: PixelLinear = { coef: [], constant: new Float64Array(f.rows.length) };
  f.rows.forEach((a, r) => {
    let v = f.constant[r] as number;
    let m = (f.mass[r] as number) + Math.abs(v);
    const coef = (pass.coef ?? fresh)(a.length);
    for (let i = 0; i < a.length; i++) {
      const ai = a[i] as number;
      if (ai === 0) continue;
      const s = terms.scale[i] as number;
      const t = terms.shift[i] as number;
      coef[i] = ai * s;
      v += ai * t;
      v -= Math.abs(ai) * g * (terms.size[i] as number);
      m += Math.abs(ai * s) * (terms.big[i] as number) + Math.abs(ai * t);
    }
    out.coef.push(coef);
    out.constant[r] = v - 1e-9 * (1 + m);
  });
  return out;
}

/** The least value of coef·p + constant over the box (per row). */
export function minOverBox(f: PixelLinear, pixels: Interval): Float64Array {
  const out = new Float64Array(f.coef.length);
  f.coef.forEach((coef, r) => {
    let v = f.constant[r] as number;
    for (let i = 0; i < coef.length; i++) {
      const c = coef[i] as number;
      if (c > 0) v += c * (pixels.lo[i] as number);
      else if (c < 0) v += c * (pixels.hi[i] as number);
    }
    out[r] = v;
  });
  return out;
}

/**
 * Lower bounds of rows·z_k over the pixel box, z_k the values after `k` layers (k = 0: the
 * preprocessed input), given bounds of every layer's values below k.
 */
export function lowerBounds(...args: Parameters<typeof linearLowerBounds>): Float64Array {
  return minOverBox(linearLowerBounds(...args), args[4]);
}
