import type { RowBatch, TieRule } from "@rho/constraints";
import { DEFAULT_TOLERANCE, packRows, rowActivities } from "@rho/constraints";
import type { Layer, Network, Shape } from "@rho/models/core";
import { size } from "@rho/models/core";
import type { LayerEncoder, LinearPiece } from "./layer-encoder.js";
import { LAYER_ENCODERS } from "./layers/index.js";

export interface RegionOptions {
  /** Tolerance deciding which disjuncts x* satisfies (default: the constraint evaluator's, 1e-9). */
  readonly tol?: number;
  readonly ties?: TieRule;
  /**
   * A neighbouring region this point lies on the boundary of: every disjunction tied here (within
   * `tol`) takes an alternative other than that region's, so this region lies across its facets
   * through the point. Region descent moves this way from an LP optimum on a region's boundary.
   */
  readonly across?: LinearRegion;
  /**
   * Stored gradient values allowed for sharing work between rows (default 2e7, ~240 MB at most):
   * units of shallow layers that see a small part of the input are memoised, as rows need them,
   * up to this; deeper ones are walked back per row (`localDepth`).
   */
  readonly memoBudget?: number;
  /** Memoise exactly activations 0..memoDepth instead (for tests and measurements; rows are the same). */
  readonly memoDepth?: number;
}

interface SparseVec {
  readonly idx: Int32Array;
  readonly val: Float64Array;
}

/** Each network's memo depth per budget (`LinearRegion.depthFor`). */
const MEMO_DEPTHS = new WeakMap<Network, Map<number, number>>();

const EMPTY: SparseVec = { idx: new Int32Array(0), val: new Float64Array(0) };

/** An affine function a·pixels + constant over the raw pixels, a sparse. */
export interface AffineForm {
  readonly indices: Int32Array;
  readonly values: Float64Array;
  readonly constant: number;
}

/**
 * x*'s linear region Z(x*) = F(D(x*)) written over the raw input pixels alone (paper §4).
 *
 * Fixing, in every disjunction, the disjunct x* satisfies makes the network affine on the region;
 * composing the layers' affine maps turns each region inequality — a ReLU's sign, a max-pool
 * window's winner — and each logit into an affine function of the pixels. Those rows are built
 * lazily, one reverse pass each, so the iterative solver pays only for the rows it asks for,
 * while `evaluate` checks every inequality at a candidate point with one forward pass of the
 * linearised network.
 *
 * This is the restriction `restrictAt(encodeNetwork(net).sys, …)` makes, with every hidden
 * variable eliminated; the tests check that both give the same LP optimum.
 */
export class LinearRegion {
  readonly net: Network;
  /** The raw pixels of x*. */
  readonly center: Float64Array;
  /** Disjunctions x* satisfied on more than one side, resolved by the tie rule. */
  readonly ties: number;
  /** Number of region inequalities. */
  readonly size: number;
  /** activations[L] at x*: the preprocessed input (L = 0) and every layer's output. */
  readonly activations: readonly Float64Array[];
  /** Each layer on the region: its affine map and its region inequalities over its input. */
  readonly pieces: readonly LinearPiece[];
  /** First inequality index of each layer's constraints (length layers + 1). */
  readonly offsets: Int32Array;
  /** For each join layer, where each index of its concatenated input comes from. */
  private readonly sources: JoinSources;
  /** Per-activation scratch for reverse propagation, allocated on first use. */
  private readonly buffers: (Float64Array | undefined)[] = [];
  private readonly marks: (Uint8Array | undefined)[] = [];
  /** Memoised pixel gradients of the units of activations 0..memoDepth. */
  private readonly grads: (SparseVec | undefined)[][];
  /** Units of activations 0..memoDepth have their pixel gradients memoised as rows need them. */
  readonly memoDepth: number;
  private readonly acc: Float64Array;
  private readonly pixelMark: Uint8Array;

  constructor(net: Network, pixels: ArrayLike<number>, opts: RegionOptions = {}) {
    const tol = opts.tol ?? DEFAULT_TOLERANCE;
    const ties = opts.ties ?? "first";
    this.net = net;
    this.center = Float64Array.from(pixels);
    const acts: Float64Array[] = [net.preprocessInput(pixels)];
    const pieces: LinearPiece[] = [];
    net.layers.forEach((layer, i) => {
      const encoder = LAYER_ENCODERS[layer.kind] as unknown as LayerEncoder<Layer>;
      const input = net.inputOf(i, acts);
      const piece = encoder.linearize({
        layer,
        inShape: net.inShapes[i] as Shape,
        outShape: net.shapes[i + 1] as Shape,
        input,
        tol,
        ties,
        ...(opts.across?.pieces[i]?.choices ? { across: opts.across.pieces[i]?.choices } : {}),
      });
      pieces.push(piece);
      acts.push(piece.forward(input));
    });
    this.pieces = pieces;
    this.activations = acts;
    this.sources = joinSources(net);
    this.offsets = new Int32Array(pieces.length + 1);
    pieces.forEach((p, i) => {
      this.offsets[i + 1] = (this.offsets[i] as number) + p.constraints.count;
    });
    this.size = this.offsets[pieces.length] as number;
    this.ties = pieces.reduce((s, p) => s + p.ties, 0);
    this.grads = acts.map((a) => new Array<SparseVec | undefined>(a.length));
    this.acc = new Float64Array(net.inputSize);
    this.pixelMark = new Uint8Array(net.inputSize);
    this.memoDepth =
      opts.memoDepth !== undefined
        ? Math.max(0, Math.min(acts.length - 1, opts.memoDepth))
        : LinearRegion.depthFor(net, opts.memoBudget ?? 2e7);
  }

  /** The network's output on the region's affine map (equal to the network inside the region). */
  forward(pixels: ArrayLike<number>): Float64Array[] {
    const acts = [this.net.preprocessInput(pixels)];
    this.pieces.forEach((p, i) => {
      acts.push(p.forward(this.net.inputOf(i, acts)));
    });
    return acts;
  }

  /**
   * The value of every region inequality (≥ 0 inside the region) at these pixels, with each one's
   * magnitude scale (the largest |term|), for tolerance checks.
   */
  evaluate(pixels: ArrayLike<number>): { values: Float64Array; scales: Float64Array } {
    return this.evaluateOn(this.forward(pixels));
  }

  /** `evaluate` at the region's centre, from the activations already computed there. */
  evaluateCenter(): { values: Float64Array; scales: Float64Array } {
    return this.evaluateOn(this.activations);
  }

  private evaluateOn(acts: readonly Float64Array[]): { values: Float64Array; scales: Float64Array } {
    const values = new Float64Array(this.size);
    const scales = new Float64Array(this.size);
    this.pieces.forEach((p, l) => {
      if (p.constraints.count === 0) return;
      rowActivities(p.constraints, this.net.inputOf(l, acts), values, scales, this.offsets[l] as number);
    });
    return { values, scales };
  }

  /** Region inequalities `ids` as rows a·pixels ≥ −constant over pixel columns 0..n−1. */
  rows(ids: ArrayLike<number>): RowBatch {
    const forms = Array.from(ids as ArrayLike<number>, (id) => this.inequality(id));
    return formsToRows(forms, (f) => [-f.constant, Number.POSITIVE_INFINITY]);
  }

  /** The layer whose constraint region inequality `id` is. */
  layerOf(id: number): number {
    if (!(id >= 0 && id < this.size)) throw new RangeError(`no region inequality ${id}`);
    let lo = 0;
    let hi = this.pieces.length - 1;
    // the last layer whose first inequality is at or before id
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.offsets[mid] as number) <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Whether inequality `id` is about units that may read more than an eighth of the input
   * (`Network.receptiveField`): its row is a long reverse pass and a dense row. On NiN the rows
   * of the first block (147 of 3,072 values) cost under 1 ms each, of the second (675) ~13 ms,
   * of the third (2,187) ~160 ms.
   */
  costly(id: number): boolean {
    const value = (this.net.inputs[this.layerOf(id)] as readonly number[])[0] as number;
    return 8 * this.net.receptiveField(value) > this.net.inputSize;
  }

  /** Region inequality `id` (≥ 0 on the region) as an affine function of the pixels. */
  inequality(id: number): AffineForm {
    const l = this.layerOf(id);
    const c = this.pieces[l]?.constraints;
    if (!c) throw new RangeError(`no region inequality ${id}`);
    const r = id - (this.offsets[l] as number);
    const s = c.starts[r] as number;
    const e = c.starts[r + 1] as number;
    // constraints are over the layer's input: one value (joins have none)
    const value = (this.net.inputs[l] as readonly number[])[0] as number;
    return this.combination(value, c.indices.subarray(s, e), c.values.subarray(s, e));
  }

  /**
   * Layer l's fan-in of output o, with each input as (value, unit): in a chain the value before
   * the layer; in a DAG the value it reads, or for a join the value its input index comes from.
   */
  private fanIn(l: number, o: number, visit: (act: number, unit: number, w: number) => void): void {
    const piece = this.pieces[l] as LinearPiece;
    const src = this.sources[l];
    if (src) {
      piece.fanIn(o, (i, w) => visit(src.act[i] as number, src.unit[i] as number, w));
      return;
    }
    const value = (this.net.inputs[l] as readonly number[])[0] as number;
    piece.fanIn(o, (i, w) => visit(value, i, w));
  }

  /**
   * Σ w·(unit idx of activation L) as an affine function of the pixels, exact on the region.
   * L = number of layers gives the logits. The weights are pushed back through the layers'
   * fan-ins (reverse mode, touching only the units the functional depends on) down to the
   * deepest activation whose units' gradients fit the memo budget; those gradients are computed
   * once per region and shared by every row.
   */
  combination(layer: number, idx: ArrayLike<number>, w: ArrayLike<number>): AffineForm {
    return this.combinations(layer, [{ idx, w }])[0] as AffineForm;
  }

  /**
   * `combination` for several functionals of activation L at once, equal to calling it for each
   * (to rounding: the sums run in another order). One reverse pass down to the memo depth carries
   * every functional's weight on each unit, so a layer's fan-ins are walked once, not once per
   * functional: the 9 target rows of a NiN-sized network, each a walk through every layer past
   * its memo depth (~1.6 s), share one.
   */
  combinations(
    layer: number,
    forms: readonly { readonly idx: ArrayLike<number>; readonly w: ArrayLike<number> }[],
  ): AffineForm[] {
    const k = forms.length;
    // grad[u·k + r]: functional r's weight on unit u of the current activation (scratch, kept zeroed)
    let grad = this.scratch(layer, k);
    const units = [...new Set(forms.flatMap((f) => Array.from(f.idx)))];
    forms.forEach((f, r) => {
      for (let q = 0; q < f.idx.length; q++) {
        const at = (f.idx[q] as number) * k + r;
        grad[at] = (grad[at] as number) + (f.w[q] as number);
      }
    });
    const g = new Float64Array(k);
    // units still to carry back, per value (a DAG: a value read by several layers collects the
    // weights of each); values are visited in decreasing order, a reverse topological order
    const pending = new Map<number, number[]>([[layer, units]]);
    for (let a = layer; a > this.memoDepth; a--) {
      const at = pending.get(a);
      if (!at) continue;
      pending.delete(a);
      grad = this.scratch(a, k);
      for (const o of at) {
        if (a !== layer) (this.marks[a] as Uint8Array)[o] = 0;
        let any = false;
        for (let r = 0; r < k; r++) {
          g[r] = grad[o * k + r] as number;
          grad[o * k + r] = 0;
          any ||= g[r] !== 0;
        }
        if (!any) continue;
        this.fanIn(a - 1, o, (src, i, wi) => {
          if (wi === 0) return;
          const below = this.scratch(src, k);
          const mark = this.marks[src] as Uint8Array;
          if (!mark[i]) {
            mark[i] = 1;
            let list = pending.get(src);
            if (!list) {
              list = [];
              pending.set(src, list);
            }
            list.push(i);
          }
          const base = i * k;
          for (let r = 0; r < k; r++) below[base + r] = (below[base + r] as number) + (g[r] as number) * wi;
        });
      }
    }
    // what is left lies at or below the memo depth: every gradient memoised first (building one
    // uses the accumulator the forms sum in)
    const left = [...pending.entries()];
    for (const [a, us] of left) {
      const mark = this.marks[a];
      for (const u of us) {
        if (mark && a !== layer) mark[u] = 0;
        this.grad(a, u);
      }
    }
    return forms.map((f, r) => {
      const touched: number[] = [];
      for (const [a, us] of left) {
        const buf = this.scratch(a, k);
        for (const u of us) {
          const gu = buf[u * k + r] as number;
          buf[u * k + r] = 0;
          if (gu !== 0) this.accumulate(this.grad(a, u), gu, touched);
        }
      }
      return this.formAt(layer, f.idx, f.w, this.collect(touched));
    });
  }

  /** Σ w·(unit idx of activation L) as the affine form whose pixel gradient is `g`: constant = value at x* − g·x*. */
  private formAt(layer: number, idx: ArrayLike<number>, w: ArrayLike<number>, g: SparseVec): AffineForm {
    const a = this.activations[layer] as Float64Array;
    let value = 0;
    for (let k = 0; k < idx.length; k++) value += (w[k] as number) * (a[idx[k] as number] as number);
    let dot = 0;
    for (let k = 0; k < g.idx.length; k++)
      dot += (g.val[k] as number) * (this.center[g.idx[k] as number] as number);
    return { indices: g.idx, values: g.val, constant: value - dot };
  }

  /**
   * A network's memo depth for a budget, chosen once from the region of all-zero pixels: the
   * supports follow the layers' fan-ins, which a point's choices barely change, so every region
   * of the network shares it — no per-region probe (which built most gradients up front), and
   * rows sum in the same order whichever point came first.
   */
  private static depthFor(net: Network, budget: number): number {
    if (budget <= 0) return 0;
    let byBudget = MEMO_DEPTHS.get(net);
    if (!byBudget) {
      byBudget = new Map();
      MEMO_DEPTHS.set(net, byBudget);
    }
    let depth = byBudget.get(budget);
    if (depth === undefined) {
      depth = new LinearRegion(net, new Float64Array(net.inputSize), { memoBudget: 0 }).localDepth(budget);
      byBudget.set(budget, depth);
    }
    return depth;
  }

  /**
   * The deepest activation up to which units see a small part of the input (a central unit's
   * support under half the pixels) and all units' gradients fit `budget` stored values. Past it,
   * a row's reverse pass combines its weights first and accumulates gradients only there: a
   * logit row of the shipped LeNet then costs ~0.2 M multiply-adds, against 78 M to memoise the
   * 500 dense units it would otherwise sum, each seeing every pixel.
   */
  private localDepth(budget: number): number {
    const n = this.net.inputSize;
    let total = n;
    if (total > budget) return 0;
    for (let l = 1; l < this.activations.length; l++) {
      const count = (this.activations[l] as Float64Array).length;
      const probe = count >> 1;
      let inputs = 0;
      let selection = false;
      this.fanIn(l - 1, probe, (_a, _i, w) => {
        inputs++;
        selection = w === 1;
      });
      if (inputs <= 1 && (selection || inputs === 0)) continue; // shares its input's gradients
      const support = this.supportSize(l, [probe]);
      total += count * support;
      if (2 * support > n || total > budget) return l - 1;
    }
    return this.activations.length - 1;
  }

  /** How many pixels units `start` of activation L depend on, on this region (their cone, walked back). */
  supportSize(layer: number, start: readonly number[]): number {
    const pending = new Map<number, number[]>([[layer, [...start]]]);
    for (let a = layer; a > 0; a--) {
      const units = pending.get(a);
      if (!units) continue;
      pending.delete(a);
      if (a !== layer) for (const u of units) (this.marks[a] as Uint8Array)[u] = 0;
      for (const o of units)
        this.fanIn(a - 1, o, (src, i, w) => {
          if (w === 0) return;
          this.scratch(src);
          const mark = this.marks[src] as Uint8Array;
          if (!mark[i]) {
            mark[i] = 1;
            let list = pending.get(src);
            if (!list) {
              list = [];
              pending.set(src, list);
            }
            list.push(i);
          }
        });
    }
    const pixels = pending.get(0) ?? (layer === 0 ? [...start] : []);
    if (layer !== 0) for (const u of pixels) (this.marks[0] as Uint8Array)[u] = 0;
    return pixels.length;
  }

  /** The gradient over the pixels of unit u of activation L (memoised; L ≤ memoDepth). */
  private grad(layer: number, u: number): SparseVec {
    const memo = this.grads[layer] as (SparseVec | undefined)[];
    const cached = memo[u];
    if (cached) return cached;
    let g: SparseVec;
    if (layer === 0) {
      const { scale } = this.net.preprocess;
      g = { idx: Int32Array.of(u), val: Float64Array.of(scale[u % scale.length] as number) };
    } else {
      const acts: number[] = [];
      const ins: number[] = [];
      const ws: number[] = [];
      this.fanIn(layer - 1, u, (a, i, w) => {
        if (w !== 0) {
          acts.push(a);
          ins.push(i);
          ws.push(w);
        }
      });
      if (ins.length === 0) g = EMPTY;
      // a selection (ReLU on, max-pool winner, flatten) shares its input's gradient
      else if (ins.length === 1 && ws[0] === 1) g = this.grad(acts[0] as number, ins[0] as number);
      else {
        ins.forEach((i, k) => {
          this.grad(acts[k] as number, i);
        });
        const touched: number[] = [];
        ins.forEach((i, k) => {
          this.accumulate(this.grad(acts[k] as number, i), ws[k] as number, touched);
        });
        g = this.collect(touched);
      }
    }
    memo[u] = g;
    return g;
  }

  private accumulate(g: SparseVec, w: number, touched: number[]): void {
    for (let k = 0; k < g.idx.length; k++) {
      const p = g.idx[k] as number;
      if (!this.pixelMark[p]) {
        this.pixelMark[p] = 1;
        touched.push(p);
      }
      this.acc[p] = (this.acc[p] as number) + w * (g.val[k] as number);
    }
  }

  /** Reads the accumulator at the touched pixels in increasing order and clears it. */
  private collect(touched: number[]): SparseVec {
    // usually already in order (the first gradient summed spans the support) and without zeros:
    // one pass checks both, so most memoised gradients cost one sort-free copy (NiN's target rows
    // memoise ~160k of them)
    let sorted = true;
    let nonzero = 0;
    for (let k = 0; k < touched.length; k++) {
      const p = touched[k] as number;
      if (k > 0 && p < (touched[k - 1] as number)) sorted = false;
      if (this.acc[p] !== 0) nonzero++;
    }
    const order = sorted ? touched : Int32Array.from(touched).sort();
    const idx = new Int32Array(nonzero);
    const val = new Float64Array(nonzero);
    let n = 0;
    for (let k = 0; k < order.length; k++) {
      const p = order[k] as number;
      const v = this.acc[p] as number;
      this.acc[p] = 0;
      this.pixelMark[p] = 0;
      if (v === 0) continue;
      idx[n] = p;
      val[n] = v;
      n++;
    }
    return { idx, val };
  }

  /** A zeroed buffer of k values per unit of activation L (kept zeroed between uses). */
  private scratch(layer: number, k = 1): Float64Array {
    const size = (this.activations[layer] as Float64Array).length;
    let b = this.buffers[layer];
    if (!b || b.length < size * k) {
      b = new Float64Array(size * k);
      this.buffers[layer] = b;
      this.marks[layer] = new Uint8Array(size);
    }
    return b;
  }
}

type JoinSources = readonly ({ readonly act: Int32Array; readonly unit: Int32Array } | undefined)[];
const SOURCES = new WeakMap<Network, JoinSources>();
/**
 * For each join layer of a network, where each index of its concatenated input comes from (value
 * and unit): a property of the network, built once and shared by every region of it.
 */
function joinSources(net: Network): JoinSources {
  let sources = SOURCES.get(net);
  if (!sources) {
    sources = net.layers.map((_, l) => {
      const from = net.inputs[l] as readonly number[];
      if (from.length === 1) return undefined;
      const act: number[] = [];
      const unit: number[] = [];
      for (const k of from) {
        const n = size(net.shapes[k] as Shape);
        for (let u = 0; u < n; u++) {
          act.push(k);
          unit.push(u);
        }
      }
      return { act: Int32Array.from(act), unit: Int32Array.from(unit) };
    });
    SOURCES.set(net, sources);
  }
  return sources;
}

/** Affine forms as a row batch, with bounds from each form. */
export function formsToRows(
  forms: readonly AffineForm[],
  bounds: (f: AffineForm) => readonly [number, number],
): RowBatch {
  const lower = new Float64Array(forms.length);
  const upper = new Float64Array(forms.length);
  forms.forEach((f, r) => {
    [lower[r], upper[r]] = bounds(f);
  });
  return { ...packRows(forms), lower, upper };
}
