// The non-linear layers as disjunctions (paper §3): ReLU y = max(x, 0) and max pooling
// y = max over a window. Exactly one disjunct holds away from ties.
import { and, type Formula, or } from "@rho/constraints";
import type { MaxPool, Relu } from "@rho/models";
import type { LayerEncoder } from "../layer-encoder.js";
import { newVars } from "../layer-encoder.js";
import { windows } from "./affine.js";

export const relu: LayerEncoder<Relu> = {
  kind: "relu",
  encode({ sys, inVars, inBounds, prefix }) {
    const outBounds = {
      lower: inBounds.lower.map((v) => Math.max(v, 0)),
      upper: inBounds.upper.map((v) => Math.max(v, 0)),
    };
    const outVars = newVars(sys, outBounds, prefix);
    inVars.forEach((x, i) => {
      const y = outVars[i] as number;
      // (x ≥ 0 ∧ y = x) ∨ (x ≤ 0 ∧ y = 0)
      sys.require(
        or(
          and(sys.row([x], [1], 0, "ge"), sys.row([y, x], [1, -1], 0, "eq")),
          and(sys.row([x], [1], 0, "le"), sys.row([y], [1], 0, "eq")),
        ),
      );
    });
    return { outVars, outBounds };
  },
};

export const maxpool: LayerEncoder<MaxPool> = {
  kind: "maxpool",
  encode({ sys, layer, inVars, inShape, outShape, inBounds, prefix }) {
    const [, w, c] = inShape as [number, number, number];
    const [oh, ow] = outShape as [number, number, number];
    const cells: number[][] = Array.from({ length: oh * ow * c }, () => []);
    windows(inShape, outShape, layer.size, layer.strides, layer.padding, (oy, ox, iy, ix) => {
      for (let ch = 0; ch < c; ch++)
        (cells[(oy * ow + ox) * c + ch] as number[]).push((iy * w + ix) * c + ch);
    });
    const lower = Float64Array.from(cells, (cs) => Math.max(...cs.map((i) => inBounds.lower[i] as number)));
    const upper = Float64Array.from(cells, (cs) => Math.max(...cs.map((i) => inBounds.upper[i] as number)));
    const outVars = newVars(sys, { lower, upper }, prefix);
    cells.forEach((cs, o) => {
      const y = outVars[o] as number;
      const xs = cs.map((i) => inVars[i] as number);
      if (xs.length === 1) {
        sys.add([y, xs[0] as number], [1, -1], 0, "eq");
        return;
      }
      // ∨_i (y = x_i ∧ x_i ≥ x_j for every other j in the window)
      const alternatives: Formula[] = xs.map((xi) =>
        and(
          sys.row([y, xi], [1, -1], 0, "eq"),
          ...xs.filter((xj) => xj !== xi).map((xj) => sys.row([xi, xj], [1, -1], 0, "ge")),
        ),
      );
      sys.require(or(...alternatives));
    });
    return { outVars, outBounds: { lower, upper } };
  },
};
