// The non-linear layers as disjunctions (paper §3): ReLU y = max(x, 0) and max pooling
// y = max over a window. Exactly one disjunct holds away from ties. On x*'s linear region
// (paper §4) each keeps the disjunct x* satisfies — the first one under the "first" tie rule,
// the same choice `restrictAt` makes on the encoding — and becomes a fixed selection.
import { and, type Formula, or } from "@rho/constraints";
import type { MaxPool, Relu } from "@rho/models/core";
import type { LayerEncoder } from "../layer-encoder.js";
import { newVars, sparseRows } from "../layer-encoder.js";
import { poolCells } from "./affine.js";

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
  linearize({ input, tol, across }) {
    // the first disjunct (active) is kept whenever x* satisfies it: x ≥ −tol; across a
    // neighbouring region, a tied unit takes the side that region does not
    const active = Int32Array.from(input, (v, i) =>
      Math.abs(v) <= tol && across ? 1 - (across[i] as number) : v >= -tol ? 1 : 0,
    );
    let ties = 0;
    for (const v of input) if (Math.abs(v) <= tol) ties++;
    return {
      choices: active,
      forward: (x) => x.map((v, i) => (active[i] ? v : 0)),
      fanIn: (o, visit) => {
        if (active[o]) visit(o, 1);
      },
      // active: x ≥ 0; inactive: −x ≥ 0
      constraints: sparseRows(Array.from(active, (a, i) => [[i], [a ? 1 : -1]] as const)),
      ties,
    };
  },
};

export const maxpool: LayerEncoder<MaxPool> = {
  kind: "maxpool",
  encode({ sys, layer, inVars, inShape, outShape, inBounds, prefix }) {
    const count = outShape.reduce((a, b) => a * b, 1);
    const cells = Array.from({ length: count }, (_, o) => poolCells(layer, inShape, outShape, o));
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
  linearize({ layer, inShape, outShape, input, tol, across }) {
    const count = outShape.reduce((a, b) => a * b, 1);
    const chosen = new Int32Array(count);
    const rows: [number[], number[]][] = [];
    let ties = 0;
    for (let o = 0; o < count; o++) {
      const cs = poolCells(layer, inShape, outShape, o);
      let m = Number.NEGATIVE_INFINITY;
      for (const i of cs) m = Math.max(m, input[i] as number);
      // "first": the first cell within tol of the window's maximum (it satisfies its disjunct)
      const winners = cs.filter((i) => (input[i] as number) >= m - tol);
      // across a neighbouring region: another tied cell than that region's winner
      const c = (across ? winners.find((i) => i !== across[o]) : undefined) ?? (winners[0] as number);
      if (winners.length > 1) ties++;
      chosen[o] = c;
      for (const j of cs)
        if (j !== c)
          rows.push([
            [c, j],
            [1, -1],
          ]);
    }
    return {
      choices: chosen,
      forward: (x) => Float64Array.from(chosen, (c) => x[c] as number),
      fanIn: (o, visit) => visit(chosen[o] as number, 1),
      constraints: sparseRows(rows),
      ties,
    };
  },
};
