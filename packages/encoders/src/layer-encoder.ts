import type { ConstraintSystem } from "@rho/constraints";
import type { Layer, Shape } from "@rho/models";

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

/**
 * Encodes one layer kind as the paper's constraints (§3): linear layers as equalities, ReLU and
 * max-pooling as disjunctions. A new layer kind is one module implementing this.
 */
export interface LayerEncoder<L extends Layer> {
  readonly kind: L["kind"];
  encode(ctx: EncodeContext<L>): Encoded;
}

/** New output variables with the given bounds (names `${prefix}_${i}`). */
export function newVars(sys: ConstraintSystem, bounds: Bounds, prefix: string): Int32Array {
  return Int32Array.from(bounds.lower, (lo, i) =>
    sys.vars.add(lo, bounds.upper[i] as number, `${prefix}_${i}`),
  );
}
