// Layers that are affine maps of their input — dense, conv2d, average pooling, global average
// pooling. Each kind only says which inputs feed output o and with what weight (its fan-in) and
// its bias; the encoding as y_o = Σ w x + b equalities, the interval bounds and the
// linearisation (the same map: no disjunctions) are shared.
import type {
  Add,
  AvgPool,
  Concat,
  Conv2d,
  Dense,
  GlobalAvgPool,
  Layer,
  Padding,
  Shape,
} from "@rho/models/core";
import { concatSource, moduleFor, poolDivisor, window } from "@rho/models/core";
import type { Bounds, Encoded, LayerEncoder } from "../layer-encoder.js";
import { NO_CONSTRAINTS, newVars } from "../layer-encoder.js";

type Visit = (i: number, w: number) => void;

interface AffineKind<L extends Layer> {
  readonly kind: L["kind"];
  /** The fan-in of every output: visit(inputIndex, weight) for each input output o depends on. */
  fanIn(layer: L, inShape: Shape, outShape: Shape): (o: number, visit: Visit) => void;
  bias(layer: L, o: number, outShape: Shape): number;
}

function affineEncoder<L extends Layer>(spec: AffineKind<L>): LayerEncoder<L> {
  return {
    kind: spec.kind,
    encode(ctx): Encoded {
      const fanIn = spec.fanIn(ctx.layer, ctx.inShape, ctx.outShape);
      const count = ctx.outShape.reduce((a, b) => a * b, 1);
      const lower = new Float64Array(count);
      const upper = new Float64Array(count);
      const rows: { idx: number[]; w: number[]; b: number }[] = [];
      for (let o = 0; o < count; o++) {
        const b = spec.bias(ctx.layer, o, ctx.outShape);
        const r = { idx: [] as number[], w: [] as number[], b };
        let lo = b;
        let hi = b;
        fanIn(o, (i, w) => {
          if (w === 0) return; // 0 × ∞ is 0 here: a zero weight contributes nothing
          r.idx.push(i);
          r.w.push(w);
          const p = w * (ctx.inBounds.lower[i] as number);
          const q = w * (ctx.inBounds.upper[i] as number);
          lo += Math.min(p, q);
          hi += Math.max(p, q);
        });
        lower[o] = lo;
        upper[o] = hi;
        rows.push(r);
      }
      const outBounds: Bounds = { lower, upper };
      const outVars = newVars(ctx.sys, outBounds, ctx.prefix);
      rows.forEach((r, o) => {
        // y − Σ w x − b = 0, one term per variable (a join may read one value twice: x + x)
        const terms = new Map<number, number>();
        r.idx.forEach((i, k) => {
          const v = ctx.inVars[i] as number;
          terms.set(v, (terms.get(v) ?? 0) - (r.w[k] as number));
        });
        const kept = [...terms].filter(([, w]) => w !== 0);
        ctx.sys.add(
          [outVars[o] as number, ...kept.map(([v]) => v)],
          [1, ...kept.map(([, w]) => w)],
          -r.b,
          "eq",
        );
      });
      return { outVars, outBounds };
    },
    linearize({ layer, inShape, outShape }) {
      return {
        forward: (x) => moduleFor(layer).forward(layer, x, inShape, outShape),
        fanIn: spec.fanIn(layer, inShape, outShape),
        constraints: NO_CONSTRAINTS,
        ties: 0,
      };
    },
  };
}

/** The input cells (channel 0 offsets are added by the caller) of output cell (oy, ox)'s window. */
export function windowCells(
  inShape: Shape,
  size: readonly [number, number],
  strides: readonly [number, number],
  padding: Padding,
  oy: number,
  ox: number,
  visit: (iy: number, ix: number, ky: number, kx: number) => void,
): void {
  const [h, w] = inShape as [number, number, number];
  const top = window(h, size[0], strides[0], padding, 0).padBefore;
  const left = window(w, size[1], strides[1], padding, 1).padBefore;
  for (let ky = 0; ky < size[0]; ky++) {
    const iy = oy * strides[0] + ky - top;
    if (iy < 0 || iy >= h) continue;
    for (let kx = 0; kx < size[1]; kx++) {
      const ix = ox * strides[1] + kx - left;
      if (ix >= 0 && ix < w) visit(iy, ix, ky, kx);
    }
  }
}

/** Splits a channels-last output index into (row, column, channel). */
export function cell(o: number, outShape: Shape): [number, number, number] {
  const [, ow, c] = outShape as [number, number, number];
  const ch = o % c;
  const p = (o - ch) / c;
  return [Math.floor(p / ow), p % ow, ch];
}

/** The input indices of output o's pooling window (same channel), as TensorFlow pools them. */
export function poolCells(
  layer: { size: readonly [number, number]; strides: readonly [number, number]; padding: Padding },
  inShape: Shape,
  outShape: Shape,
  o: number,
): number[] {
  const [, w, c] = inShape as [number, number, number];
  const [oy, ox, ch] = cell(o, outShape);
  const cells: number[] = [];
  windowCells(inShape, layer.size, layer.strides, layer.padding, oy, ox, (iy, ix) =>
    cells.push((iy * w + ix) * c + ch),
  );
  return cells;
}

export const dense = affineEncoder<Dense>({
  kind: "dense",
  fanIn: (layer, inShape) => (o, visit) => {
    const n = inShape[0];
    for (let i = 0; i < n; i++) visit(i, layer.weights[i * layer.units + o] as number);
  },
  bias: (layer, o) => layer.bias[o] as number,
});

export const conv2d = affineEncoder<Conv2d>({
  kind: "conv2d",
  fanIn: (layer, inShape, outShape) => (o, visit) => {
    const [, w, c] = inShape as [number, number, number];
    const [oy, ox, k] = cell(o, outShape);
    const f = layer.filters;
    windowCells(inShape, layer.kernel, layer.strides, layer.padding, oy, ox, (iy, ix, ky, kx) => {
      const wBase = (ky * layer.kernel[1] + kx) * c * f + k;
      const inBase = (iy * w + ix) * c;
      for (let ch = 0; ch < c; ch++) visit(inBase + ch, layer.weights[wBase + ch * f] as number);
    });
  },
  bias: (layer, o) => layer.bias[o % layer.filters] as number,
});

export const avgpool = affineEncoder<AvgPool>({
  kind: "avgpool",
  fanIn: (layer, inShape, outShape) => (o, visit) => {
    // over the cells inside the input (TensorFlow), or the whole window (padding counted)
    const cells = poolCells(layer, inShape, outShape, o);
    const d = poolDivisor(layer, cells.length);
    for (const i of cells) visit(i, 1 / d);
  },
  bias: () => 0,
});

export const globalavgpool = affineEncoder<GlobalAvgPool>({
  kind: "globalavgpool",
  fanIn: (_layer, inShape) => (o, visit) => {
    const [h, w, c] = inShape as [number, number, number];
    for (let p = 0; p < h * w; p++) visit(p * c + o, 1 / (h * w));
  },
  bias: () => 0,
});

// joins see their inputs concatenated: an add sums the parts cell by cell, a concat copies one
export const add = affineEncoder<Add>({
  kind: "add",
  fanIn: (_layer, inShape, outShape) => (o, visit) => {
    const n = outShape.reduce((a, b) => a * b, 1);
    for (let k = o; k < (inShape[0] as number); k += n) visit(k, 1);
  },
  bias: () => 0,
});

export const concat = affineEncoder<Concat>({
  kind: "concat",
  fanIn: (layer, _inShape, outShape) => {
    const from = concatSource(layer.parts ?? [], outShape);
    return (o, visit) => visit(from(o), 1);
  },
  bias: () => 0,
});
