import { concatRows, type LinearProgram, type RowBatch } from "@rho/constraints";
import type { AffineForm, LinearRegion } from "./region.js";

/**
 * x*'s linear region as an LP over hidden variables: the pixels and the outputs of every layer
 * that mixes several inputs (convolutions, dense layers, average pools) are columns, tied by that
 * layer's sparse equalities; a layer that selects one input (a ReLU on, a max-pool window's
 * winner, flatten) or zeroes it (a ReLU off) adds no column. The region's inequalities then cost
 * no dense rows: a ReLU's sign is a bound on its input's column, a max-pool window's winner a row
 * of two nonzeros. Same feasible set over the pixels as `LinearRegion.rows`, in a form whose size
 * grows with the network's weights rather than with (rows × pixels).
 *
 * Columns: pixels 0..n−1, then `reserved` columns the caller owns (ALP's t), then the hidden ones.
 */
export class HiddenRegionForm {
  /** Total columns, pixels and reserved ones included. */
  readonly numCols: number;
  /** Bounds of every column from the region (±∞ where none; pixel and reserved columns unbounded here). */
  readonly colLower: Float64Array;
  readonly colUpper: Float64Array;
  /** Rows (equalities) defining the hidden columns. */
  readonly equalities: RowBatch;
  /** Region inequalities that are not column bounds, as rows ≥ their bound (two nonzeros for max-pool). */
  readonly regionRows: RowBatch;
  /** Region inequalities that became column bounds. */
  readonly boundCount: number;
  /** Each activation unit's value as coef·column + constant (column −1: a constant). */
  private readonly cols: Int32Array[];
  private readonly coefs: Float64Array[];
  private readonly consts: Float64Array[];

  constructor(
    readonly region: LinearRegion,
    /** Columns after the pixels that belong to the caller. */
    readonly reserved = 1,
  ) {
    const net = region.net;
    const n = net.inputSize;
    const { scale, shift } = net.preprocess;
    let next = n + reserved;
    const cols = [Int32Array.from({ length: n }, (_, i) => i)];
    const coefs = [Float64Array.from({ length: n }, (_, i) => scale[i % scale.length] as number)];
    const consts = [Float64Array.from({ length: n }, (_, i) => shift[i % shift.length] as number)];
    const eq = new RowBuilder();
    const terms = new TermMap();
    region.pieces.forEach((piece, l) => {
      // the layer's input: the value it reads (a join's, concatenated)
      const inCol = net.inputOf(l, cols);
      const inCoef = net.inputOf(l, coefs);
      const inConst = net.inputOf(l, consts);
      const size = (region.activations[l + 1] as Float64Array).length;
      // the map's constant: its output at a zero input
      const bias = piece.forward(new Float64Array(inCol.length));
      const col = new Int32Array(size);
      const coef = new Float64Array(size);
      const constant = new Float64Array(size);
      for (let o = 0; o < size; o++) {
        let c = bias[o] as number;
        terms.clear();
        piece.fanIn(o, (i, w) => {
          if (w === 0) return;
          c += w * (inConst[i] as number);
          const ci = inCol[i] as number;
          if (ci >= 0) terms.add(ci, w * (inCoef[i] as number));
        });
        if (terms.size === 0) {
          col[o] = -1;
          constant[o] = c;
        } else if (terms.size === 1) {
          // a selection or a scaling: an alias of the input's column
          col[o] = terms.keys[0] as number;
          coef[o] = terms.valueAt(0);
          constant[o] = c;
        } else {
          // h − Σ w·col = c
          const h = next++;
          col[o] = h;
          coef[o] = 1;
          eq.push(terms, h, c);
        }
      }
      cols.push(col);
      coefs.push(coef);
      consts.push(constant);
    });
    this.cols = cols;
    this.coefs = coefs;
    this.consts = consts;
    this.numCols = next;
    this.equalities = eq.build();
    this.colLower = new Float64Array(next).fill(Number.NEGATIVE_INFINITY);
    this.colUpper = new Float64Array(next).fill(Number.POSITIVE_INFINITY);
    const rows = new RowBuilder();
    let bounds = 0;
    region.pieces.forEach((piece, l) => {
      const { count, starts, indices, values } = piece.constraints;
      for (let r = 0; r < count; r++) {
        const s = starts[r] as number;
        const e = starts[r + 1] as number;
        // a·col + c ≥ 0; constant inequalities hold at x*, hence everywhere
        const f = this.combination(
          (net.inputs[l] as readonly number[])[0] as number,
          indices.subarray(s, e),
          values.subarray(s, e),
        );
        if (f.indices.length === 0) continue;
        if (f.indices.length === 1) {
          const j = f.indices[0] as number;
          const a = f.values[0] as number;
          if (a > 0) this.colLower[j] = Math.max(this.colLower[j] as number, -f.constant / a);
          else this.colUpper[j] = Math.min(this.colUpper[j] as number, -f.constant / a);
          bounds++;
        } else rows.pushInequality(f.indices, f.values, -f.constant);
      }
    });
    this.regionRows = rows.build();
    this.boundCount = bounds;
  }

  /**
   * A program over the pixels and the reserved columns, widened with the hidden columns (free
   * but for the region's bounds) and their equalities. The region's rows are left to the caller.
   */
  widen(base: LinearProgram): LinearProgram {
    const n = this.region.net.inputSize;
    if (base.numCols !== n + this.reserved)
      throw new RangeError(
        `the program has ${base.numCols} columns; the hidden form reserved ${n + this.reserved}`,
      );
    const objective = new Float64Array(this.numCols);
    objective.set(base.objective);
    // the base's bounds intersected with the region's: a unit that is a scaled pixel (a 1×1
    // convolution's one nonzero weight) puts its ReLU's sign on that pixel's column
    const colLower = this.colLower.slice();
    const colUpper = this.colUpper.slice();
    for (let j = 0; j < base.numCols; j++) {
      colLower[j] = Math.max(colLower[j] as number, base.colLower[j] as number);
      colUpper[j] = Math.min(colUpper[j] as number, base.colUpper[j] as number);
    }
    return {
      ...base,
      numCols: this.numCols,
      objective,
      colLower,
      colUpper,
      rows: concatRows(base.rows, this.equalities),
    };
  }

  /** Σ w·(unit idx of activation L) as an affine function of the columns (L = layers: the logits). */
  combination(layer: number, idx: ArrayLike<number>, w: ArrayLike<number>): AffineForm {
    const terms = new TermMap();
    let c = 0;
    for (let k = 0; k < idx.length; k++) {
      const u = idx[k] as number;
      const wk = w[k] as number;
      c += wk * ((this.consts[layer] as Float64Array)[u] as number);
      const col = (this.cols[layer] as Int32Array)[u] as number;
      if (col >= 0) terms.add(col, wk * ((this.coefs[layer] as Float64Array)[u] as number));
    }
    // terms that cancel (a window's winner against a cell aliasing the same column) are dropped:
    // a zero coefficient is no bound on its column
    const order = terms.keys
      .map((_, k) => k)
      .filter((k) => terms.valueAt(k) !== 0)
      .sort((a, b) => (terms.keys[a] as number) - (terms.keys[b] as number));
    return {
      indices: Int32Array.from(order, (k) => terms.keys[k] as number),
      values: Float64Array.from(order, (k) => terms.valueAt(k)),
      constant: c,
    };
  }

  /**
   * Every column's value at these pixels on the region's affine map (the values the equalities
   * force): the pixels, 0 for the reserved columns, the hidden units' values. At x*, the default.
   */
  columnValues(pixels: ArrayLike<number> = this.region.center): Float64Array {
    const x = new Float64Array(this.numCols);
    x.set(pixels);
    const acts = pixels === this.region.center ? this.region.activations : this.region.forward(pixels);
    this.cols.forEach((col, l) => {
      if (l === 0) return;
      const a = acts[l] as Float64Array;
      const coef = this.coefs[l] as Float64Array;
      const constant = this.consts[l] as Float64Array;
      // a unit that owns its column (coefficient 1, no constant) holds the column's value
      for (let u = 0; u < col.length; u++)
        if ((col[u] as number) >= 0 && coef[u] === 1 && constant[u] === 0)
          x[col[u] as number] = a[u] as number;
    });
    return x;
  }
}

/** Sparse terms by column, merged (several inputs can alias one column). */
class TermMap {
  keys: number[] = [];
  private readonly values = new Map<number, number>();
  get size(): number {
    return this.keys.length;
  }
  clear(): void {
    this.keys.length = 0;
    this.values.clear();
  }
  add(col: number, v: number): void {
    const old = this.values.get(col);
    if (old === undefined) this.keys.push(col);
    this.values.set(col, (old ?? 0) + v);
  }
  valueAt(k: number): number {
    return this.values.get(this.keys[k] as number) as number;
  }
}

/** Accumulates CSR rows. */
class RowBuilder {
  private readonly starts: number[] = [0];
  private readonly indices: number[] = [];
  private readonly values: number[] = [];
  private readonly lower: number[] = [];
  private readonly upper: number[] = [];

  /** h − Σ terms = c. */
  push(terms: TermMap, h: number, c: number): void {
    this.indices.push(h);
    this.values.push(1);
    terms.keys.forEach((j, k) => {
      this.indices.push(j);
      this.values.push(-terms.valueAt(k));
    });
    this.close(c, c);
  }

  /** Σ values·columns ≥ lower. */
  pushInequality(indices: ArrayLike<number>, values: ArrayLike<number>, lower: number): void {
    for (let k = 0; k < indices.length; k++) {
      this.indices.push(indices[k] as number);
      this.values.push(values[k] as number);
    }
    this.close(lower, Number.POSITIVE_INFINITY);
  }

  private close(lower: number, upper: number): void {
    this.lower.push(lower);
    this.upper.push(upper);
    this.starts.push(this.indices.length);
  }

  build(): RowBatch {
    return {
      count: this.lower.length,
      starts: Int32Array.from(this.starts),
      indices: Int32Array.from(this.indices),
      values: Float64Array.from(this.values),
      lower: Float64Array.from(this.lower),
      upper: Float64Array.from(this.upper),
    };
  }
}

/** Nonzeros of the two ways to write x*'s region as an LP, estimated from one unit per layer. */
export interface FormulationSizes {
  /** Every region inequality as a row over the pixels (its receptive field). */
  readonly pixelNonzeros: number;
  /** The hidden form's equalities (fan-ins of the mixing layers) and region rows. */
  readonly hiddenNonzeros: number;
}

/**
 * Estimates both forms' sizes without building either: each layer's count times one middle
 * unit's fan-in (hidden) or one middle inequality's receptive field over the pixels (pixels),
 * found by walking the fan-ins back structurally.
 */
export function formulationSizes(region: LinearRegion): FormulationSizes {
  const acts = region.activations;
  let pixelNonzeros = 0;
  let hiddenNonzeros = 0;
  region.pieces.forEach((piece, l) => {
    const size = (acts[l + 1] as Float64Array).length;
    let fanIn = 0;
    piece.fanIn(size >> 1, (_i, w) => {
      if (w !== 0) fanIn++;
    });
    if (fanIn > 1) hiddenNonzeros += size * (fanIn + 1);
    const c = piece.constraints;
    if (c.count === 0) return;
    const r = c.count >> 1;
    const units = Array.from(c.indices.subarray(c.starts[r] as number, c.starts[r + 1] as number));
    pixelNonzeros +=
      c.count * region.supportSize((region.net.inputs[l] as readonly number[])[0] as number, units);
    hiddenNonzeros += units.length > 1 ? c.count * units.length : 0;
  });
  return { pixelNonzeros, hiddenNonzeros };
}
