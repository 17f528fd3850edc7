// Layers that are affine maps of their input — dense, conv2d, average pooling, global average
// pooling — encoded as y_o = Σ w x + b equalities. Each gives its output rows as sparse (index,
// weight) lists over the input positions; the encoding and the interval bounds are shared.
import type { AvgPool, Conv2d, Dense, GlobalAvgPool, Shape } from "@rho/models";
import { window } from "@rho/models";
import type { Bounds, EncodeContext, Encoded, LayerEncoder } from "../layer-encoder.js";
import { newVars } from "../layer-encoder.js";

/** One output as a sparse affine function of the input positions. */
interface AffineRow {
  readonly idx: number[];
  readonly w: number[];
  readonly b: number;
}

function encodeAffine(
  ctx: EncodeContext<Dense | Conv2d | AvgPool | GlobalAvgPool>,
  rows: AffineRow[],
): Encoded {
  const lower = new Float64Array(rows.length);
  const upper = new Float64Array(rows.length);
  rows.forEach((r, o) => {
    let lo = r.b;
    let hi = r.b;
    r.idx.forEach((i, k) => {
      const w = r.w[k] as number;
      const a = w * (ctx.inBounds.lower[i] as number);
      const b = w * (ctx.inBounds.upper[i] as number);
      // 0 × ∞ is 0 here: a zero weight contributes nothing
      lo += w === 0 ? 0 : Math.min(a, b);
      hi += w === 0 ? 0 : Math.max(a, b);
    });
    lower[o] = lo;
    upper[o] = hi;
  });
  const outBounds: Bounds = { lower, upper };
  const outVars = newVars(ctx.sys, outBounds, ctx.prefix);
  rows.forEach((r, o) => {
    // y − Σ w x − b = 0
    ctx.sys.add(
      [outVars[o] as number, ...r.idx.map((i) => ctx.inVars[i] as number)],
      [1, ...r.w.map((w) => -w)],
      -r.b,
      "eq",
    );
  });
  return { outVars, outBounds };
}

export const dense: LayerEncoder<Dense> = {
  kind: "dense",
  encode(ctx) {
    const n = ctx.inShape[0];
    const { units, weights, bias } = ctx.layer;
    const rows = Array.from({ length: units }, (_, u) => {
      const idx: number[] = [];
      const w: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = weights[i * units + u] as number;
        if (v !== 0) {
          idx.push(i);
          w.push(v);
        }
      }
      return { idx, w, b: bias[u] as number };
    });
    return encodeAffine(ctx, rows);
  },
};

/** Calls visit(outIndex, inIndex, tap) for every in-bounds (output, input) pair of a sliding window. */
function windows(
  inShape: Shape,
  outShape: Shape,
  size: readonly [number, number],
  strides: readonly [number, number],
  padding: "valid" | "same",
  visit: (oy: number, ox: number, iy: number, ix: number, ky: number, kx: number) => void,
): void {
  const [h, w] = inShape as [number, number, number];
  const [oh, ow] = outShape as [number, number, number];
  const top = window(h, size[0], strides[0], padding).padBefore;
  const left = window(w, size[1], strides[1], padding).padBefore;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let ky = 0; ky < size[0]; ky++) {
        const iy = oy * strides[0] + ky - top;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < size[1]; kx++) {
          const ix = ox * strides[1] + kx - left;
          if (ix >= 0 && ix < w) visit(oy, ox, iy, ix, ky, kx);
        }
      }
    }
  }
}

export { windows };

export const conv2d: LayerEncoder<Conv2d> = {
  kind: "conv2d",
  encode(ctx) {
    const [, w, c] = ctx.inShape as [number, number, number];
    const [oh, ow, f] = ctx.outShape as [number, number, number];
    const { kernel, strides, padding, weights, bias } = ctx.layer;
    const rows: AffineRow[] = Array.from({ length: oh * ow * f }, (_, o) => ({
      idx: [],
      w: [],
      b: bias[o % f] as number,
    }));
    windows(ctx.inShape, ctx.outShape, kernel, strides, padding, (oy, ox, iy, ix, ky, kx) => {
      for (let ch = 0; ch < c; ch++) {
        for (let k = 0; k < f; k++) {
          const v = weights[((ky * kernel[1] + kx) * c + ch) * f + k] as number;
          if (v === 0) continue;
          const r = rows[(oy * ow + ox) * f + k] as AffineRow;
          r.idx.push((iy * w + ix) * c + ch);
          r.w.push(v);
        }
      }
    });
    return encodeAffine(ctx, rows);
  },
};

export const avgpool: LayerEncoder<AvgPool> = {
  kind: "avgpool",
  encode(ctx) {
    const [, w, c] = ctx.inShape as [number, number, number];
    const [oh, ow] = ctx.outShape as [number, number, number];
    const rows: AffineRow[] = Array.from({ length: oh * ow * c }, () => ({ idx: [], w: [], b: 0 }));
    windows(
      ctx.inShape,
      ctx.outShape,
      ctx.layer.size,
      ctx.layer.strides,
      ctx.layer.padding,
      (oy, ox, iy, ix) => {
        for (let ch = 0; ch < c; ch++)
          (rows[(oy * ow + ox) * c + ch] as AffineRow).idx.push((iy * w + ix) * c + ch);
      },
    );
    // TensorFlow averages over the cells inside the input
    for (const r of rows) r.w.push(...r.idx.map(() => 1 / r.idx.length));
    return encodeAffine(ctx, rows);
  },
};

export const globalavgpool: LayerEncoder<GlobalAvgPool> = {
  kind: "globalavgpool",
  encode(ctx) {
    const [h, w, c] = ctx.inShape as [number, number, number];
    const rows = Array.from({ length: c }, (_, ch) => {
      const idx = Array.from({ length: h * w }, (_, p) => p * c + ch);
      return { idx, w: idx.map(() => 1 / (h * w)), b: 0 };
    });
    return encodeAffine(ctx, rows);
  },
};
