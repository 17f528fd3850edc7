import { type ConstraintSystem, packRows, type TieRule } from "@rho/constraints";
import type { Layer, Shape } from "@rho/models/core";

/** Per-variable interval bounds (±Infinity when unknown). */
export interface Bounds {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

export interface EncodeContext<L extends Layer> {
  readonly sys: ConstraintSystem;
  readonly layer: L;
  /** Label used in variable names, e.g. "l3". */
  readonly prefix: string;
  /** Variable of each input value (channels-last order). */
  readonly inVars: Int32Array;
  readonly inShape: Shape;
  readonly outShape: Shape;
  /** Interval bounds of the inputs, for the outputs' bounds (and big-M later). */
  readonly inBounds: Bounds;
}

export interface Encoded {
  /** Variable of each output value; a layer that only relabels values may return inVars. */
  readonly outVars: Int32Array;
  readonly outBounds: Bounds;
}

export interface LinearizeContext<L extends Layer> {
  readonly layer: L;
  readonly inShape: Shape;
  readonly outShape: Shape;
  /** The layer's input when the network runs on x*. */
  readonly input: Float64Array;
  /** Absolute tolerance deciding which disjuncts x* satisfies (as the constraint evaluator's). */
  readonly tol: number;
  readonly ties: TieRule;
  /**
   * The choices of a neighbouring region's piece (`LinearPiece.choices`): a disjunction tied here
   * takes another of its tied alternatives where it has one, so the region lies across that
   * region's facets through this point (region descent), instead of following the tie rule.
   */
  readonly across?: Int32Array;
}

/** Sparse rows Σ_k values[k]·input[indices[k]] in compressed sparse row form. */
export interface SparseRows {
  readonly count: number;
  readonly starts: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/**
 * One layer on x*'s linear region: the disjuncts x* satisfies are fixed, so the layer is an
 * affine map of its input, valid wherever the region's inequalities hold. This is the same
 * restriction D(x*) as `restrictAt` on the encoding, with the layer's output variables
 * eliminated, so region rows can be written over the input pixels alone.
 */
export interface LinearPiece {
  /** The layer's output on the region (x*'s choices fixed) for any input. */
  forward(input: Float64Array): Float64Array;
  /** Calls visit(i, w) for the inputs output o depends on: output_o = Σ w·input_i + constant. */
  fanIn(o: number, visit: (i: number, w: number) => void): void;
  /** The region's inequalities over this layer's input, each Σ w·input ≥ 0. */
  readonly constraints: SparseRows;
  /** Disjunctions where x* satisfied more than one alternative (resolved by the tie rule). */
  readonly ties: number;
  /** The alternative kept in each disjunction (a layer with disjunctions), for `LinearizeContext.across`. */
  readonly choices?: Int32Array;
}

/**
 * Encodes one layer kind as the paper's constraints (§3): linear layers as equalities, ReLU and
 * max-pooling as disjunctions; and linearises it on x*'s region (§4). A new layer kind is one
 * module implementing this.
 */
export interface LayerEncoder<L extends Layer> {
  readonly kind: L["kind"];
  encode(ctx: EncodeContext<L>): Encoded;
  linearize(ctx: LinearizeContext<L>): LinearPiece;
}

/** New output variables with the given bounds (names `${prefix}_${i}`). */
export function newVars(sys: ConstraintSystem, bounds: Bounds, prefix: string): Int32Array {
  return Int32Array.from(bounds.lower, (lo, i) =>
    sys.vars.add(lo, bounds.upper[i] as number, `${prefix}_${i}`),
  );
}

export const NO_CONSTRAINTS: SparseRows = {
  count: 0,
  starts: new Int32Array(1),
  indices: new Int32Array(0),
  values: new Float64Array(0),
};

/** Builds SparseRows from (indices, values) pairs. */
export function sparseRows(rows: readonly (readonly [readonly number[], readonly number[]])[]): SparseRows {
  return packRows(rows.map(([indices, values]) => ({ indices, values })));
}
