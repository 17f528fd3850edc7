// The MILP of "is there an input within t of x* where `target` reaches the label?", written with
// the tight per-unit formulations of MIPVerify (Tjeng et al. 2019) rather than a generic big-M
// lowering of C_f's disjunctions: one binary per undecided ReLU, whose LP relaxation is the
// ReLU's convex hull over its bounds, and one binary per candidate cell of an undecided max-pool
// window. Units the bounds decide are plain equalities. Every row holds for every real input of
// the ball (the bounds are sound), so the MILP's optimum is at most the true distance.
import type { LinearProgram } from "@rho/constraints";
import { poolCells } from "@rho/encoders";
import type { Layer, LayerKind, Network, Shape } from "@rho/models/core";
import { inputInterval } from "../intervals/ibp.js";
import type { Interval } from "../intervals/rules.js";
import { affineMap } from "../linear/crown.js";

class Builder {
  readonly lo: number[] = [];
  readonly hi: number[] = [];
  readonly integer: number[] = [];
  readonly starts: number[] = [0];
  readonly indices: number[] = [];
  readonly values: number[] = [];
  readonly rowLo: number[] = [];
  readonly rowHi: number[] = [];
  col(lo: number, hi: number, integer = false): number {
    this.lo.push(lo);
    this.hi.push(Math.max(lo, hi));
    this.integer.push(integer ? 1 : 0);
    return this.lo.length - 1;
  }
  row(idx: readonly number[], w: readonly number[], lo: number, hi: number): void {
    this.indices.push(...idx);
    this.values.push(...w);
    this.starts.push(this.indices.length);
    this.rowLo.push(lo);
    this.rowHi.push(hi);
  }
}

interface RuleContext<L extends Layer> {
  readonly layer: L;
  readonly inShape: Shape;
  readonly outShape: Shape;
  /** Bounds of the layer's input values. */
  readonly input: Interval;
  /** Columns of the layer's input and output values. */
  readonly x: readonly number[];
  readonly y: readonly number[];
}
/** Writes one layer's rows; returns the binaries it added. */
type MilpRule<L extends Layer> = (b: Builder, ctx: RuleContext<L>) => number;

const INF = Number.POSITIVE_INFINITY;

const relu: MilpRule<Layer> = (b, { input, x, y }) => {
  let binaries = 0;
  y.forEach((yi, i) => {
    const xi = x[i] as number;
    const lo = input.lo[i] as number;
    const hi = input.hi[i] as number;
    if (lo >= 0) b.row([yi, xi], [1, -1], 0, 0);
    else if (hi <= 0) b.row([yi], [1], 0, 0);
    else {
      const a = b.col(0, 1, true);
      binaries++;
      b.row([yi, xi], [1, -1], 0, INF); // y ≥ x
      b.row([yi], [1], 0, INF); // y ≥ 0
      b.row([yi, xi, a], [1, -1, -lo], -INF, -lo); // y ≤ x − l(1 − a)
      b.row([yi, a], [1, -hi], -INF, 0); // y ≤ u·a
    }
  });
  return binaries;
};

const maxpool: MilpRule<Extract<Layer, { kind: "maxpool" }>> = (
  b,
  { layer, inShape, outShape, input, x, y },
) => {
  let binaries = 0;
  y.forEach((yo, o) => {
    const cells = poolCells(layer, inShape, outShape, o);
    const floor = Math.max(...cells.map((k) => input.lo[k] as number));
    // only cells that can reach the largest lower bound can be the maximum
    const cand = cells.filter((k) => (input.hi[k] as number) >= floor);
    if (cand.length === 1) {
      b.row([yo, x[cand[0] as number] as number], [1, -1], 0, 0);
      return;
    }
    const top = Math.max(...cand.map((k) => input.hi[k] as number));
    const as = cand.map(() => b.col(0, 1, true));
    binaries += as.length;
    b.row(
      as,
      as.map(() => 1),
      1,
      1,
    );
    cand.forEach((k, j) => {
      const xk = x[k] as number;
      const m = top - (input.lo[k] as number);
      b.row([yo, xk], [1, -1], 0, INF); // y ≥ x_k
      b.row([yo, xk, as[j] as number], [1, -1, m], -INF, m); // y ≤ x_k + (u_max − l_k)(1 − a_k)
    });
  });
  return binaries;
};

/** An affine layer: y_o − Σ w·x = c_o (its map from the encoders, shared with CROWN). */
const affine: MilpRule<Layer> = (b, { layer, inShape, outShape, x, y }) => {
  const m = affineMap(layer, inShape, outShape);
  y.forEach((yo, o) => {
    // one term per column (a join may read one value twice: x + x)
    const terms = new Map<number, number>();
    for (let k = m.starts[o] as number; k < (m.starts[o + 1] as number); k++) {
      const col = x[m.indices[k] as number] as number;
      terms.set(col, (terms.get(col) ?? 0) - (m.weights[k] as number));
    }
    const kept = [...terms].filter(([, w]) => w !== 0);
    b.row(
      [yo, ...kept.map(([c]) => c)],
      [1, ...kept.map(([, w]) => w)],
      m.constant[o] as number,
      m.constant[o] as number,
    );
  });
  return 0;
};

const MILP_RULES: { [K in LayerKind]: MilpRule<Extract<Layer, { kind: K }>> } = {
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

export interface DistanceMilp {
  readonly lp: LinearProgram;
  /** Columns of the pixels (the witness). */
  readonly pixels: readonly number[];
  /** Columns of every layer's values (index k: after k layers, 0 the preprocessed input). */
  readonly layers: readonly (readonly number[])[];
  /** Column of the distance t. */
  readonly t: number;
  readonly binaries: number;
}

/**
 * min t over the pixels of the ball ∩ box and t ∈ [tLower, epsMax], with every layer's values as
 * columns bounded by `bounds` (index k: after k layers), and z_target − z_label ≥ margin for one
 * of `targets` (several: one binary each, a big-M row from the logits' bounds, at least one set).
 */
/**
 * The network on the builder: the pixel columns (bounded by `pixels`), the preprocessed input and
 * every layer's values as columns bounded by `bounds`, tied by each layer's MILP rule.
 */
function networkRows(
  b: Builder,
  net: Network,
  pixels: Interval,
  bounds: readonly Interval[],
  /** Called with the pixel columns before any layer's (distanceMilp's t and rows: its column order). */
  afterPixels: (px: number[]) => void = () => {},
): { px: number[]; layers: number[][]; binaries: number } {
  const n = net.inputSize;
  const px = Array.from({ length: n }, (_, i) => b.col(pixels.lo[i] as number, pixels.hi[i] as number));
  afterPixels(px);
  const vars = (k: number) => {
    const iv = bounds[k] as Interval;
    return Array.from(iv.lo, (l, i) => b.col(l, iv.hi[i] as number));
  };
  // the preprocessed input x0 = p·scale + shift
  const { scale, shift } = net.preprocess;
  const ch = scale.length;
  const x0 = vars(0);
  const layers = [x0];
  x0.forEach((v, i) => {
    b.row(
      [v, px[i] as number],
      [1, -(scale[i % ch] as number)],
      shift[i % ch] as number,
      shift[i % ch] as number,
    );
  });
  let binaries = 0;
  net.layers.forEach((layer: Layer, l) => {
    const out = vars(l + 1);
    const rule = MILP_RULES[layer.kind] as MilpRule<Layer>;
    binaries += rule(b, {
      layer,
      inShape: net.inShapes[l] as Shape,
      outShape: net.shapes[l + 1] as Shape,
      input: inputInterval(net, l, bounds),
      // a join's input columns: its values' columns, concatenated
      x: (net.inputs[l] as readonly number[]).flatMap((k) => layers[k] as number[]),
      y: out,
    });
    layers.push(out);
  });
  return { px, layers, binaries };
}

function toProgram(b: Builder, objective: Float64Array): LinearProgram {
  return {
    numCols: b.lo.length,
    sense: "min",
    objective,
    objectiveOffset: 0,
    colLower: Float64Array.from(b.lo),
    colUpper: Float64Array.from(b.hi),
    integer: Uint8Array.from(b.integer),
    rows: {
      count: b.rowLo.length,
      starts: Int32Array.from(b.starts),
      indices: Int32Array.from(b.indices),
      values: Float64Array.from(b.values),
      lower: Float64Array.from(b.rowLo),
      upper: Float64Array.from(b.rowHi),
    },
  };
}

/**
 * Is there an input in the box `pixels` whose logits y satisfy every row (coef·y ≤ bound)? A
 * feasibility MILP (objective 0) over the network's exact MILP encoding: infeasible proves there is
 * none in real arithmetic; a solution is a candidate to check by forward passes.
 */
export function propertyMilp(
  net: Network,
  pixels: Interval,
  bounds: readonly Interval[],
  rows: readonly { readonly coef: ArrayLike<number>; readonly bound: number }[],
): { lp: LinearProgram; pixels: readonly number[]; binaries: number } {
  const b = new Builder();
  const { px, layers, binaries } = networkRows(b, net, pixels, bounds);
  const y = layers[layers.length - 1] as number[];
  for (const r of rows) {
    const idx: number[] = [];
    const w: number[] = [];
    for (let j = 0; j < r.coef.length; j++)
      if ((r.coef[j] as number) !== 0) {
        idx.push(y[j] as number);
        w.push(r.coef[j] as number);
      }
    b.row(idx, w, Number.NEGATIVE_INFINITY, r.bound);
  }
  return { lp: toProgram(b, new Float64Array(b.lo.length)), pixels: px, binaries };
}

export function distanceMilp(
  net: Network,
  center: ArrayLike<number>,
  label: number,
  targets: readonly number[],
  pixels: Interval,
  bounds: readonly Interval[],
  tLower: number,
  epsMax: number,
  margin: number,
): DistanceMilp {
  const inf = Number.POSITIVE_INFINITY;
  const b = new Builder();
  let t = -1;
  const network = networkRows(b, net, pixels, bounds, (px) => {
    t = b.col(Math.min(tLower, epsMax), epsMax);
    px.forEach((p, i) => {
      const c = center[i] as number;
      b.row([p, t], [1, -1], -inf, c); // x − t ≤ x*
      b.row([p, t], [1, 1], c, inf); // x + t ≥ x*
    });
  });
  const px = network.px;
  const layers = network.layers;
  let binaries = network.binaries;
  const cur = layers[layers.length - 1] as number[];
  const zl = cur[label] as number;
  if (targets.length === 1) b.row([cur[targets[0] as number] as number, zl], [1, -1], margin, inf);
  else {
    const logits = bounds[net.layers.length] as Interval;
    const picks = targets.map((j) => {
      const pick = b.col(0, 1, true);
      // z_j − z_l ≥ margin − M(1 − pick), M the most z_j − z_l can fall short of the margin
      const M = Math.max(0, margin - ((logits.lo[j] as number) - (logits.hi[label] as number)));
      b.row([cur[j] as number, zl, pick], [1, -1, -M], margin - M, inf);
      return pick;
    });
    b.row(
      picks,
      picks.map(() => 1),
      1,
      inf,
    );
    binaries += picks.length;
  }
  const objective = new Float64Array(b.lo.length);
  objective[t] = 1;
  const lp = toProgram(b, objective);
  return { lp, pixels: px, layers, t, binaries };
}
