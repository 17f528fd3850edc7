import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConstraintSystem, or, restrictAt, UnboundedDisjunctError } from "../src/index.js";
import { arbReluSystem, toMilp } from "../src/testing.js";

function rowsSatisfied(lp: ReturnType<typeof toMilp>["lp"], x: ArrayLike<number>, tol = 1e-7): boolean {
  const r = lp.rows;
  for (let i = 0; i < r.count; i++) {
    let a = 0;
    for (let k = r.starts[i] as number; k < (r.starts[i + 1] as number); k++) {
      a += (r.values[k] as number) * (x[r.indices[k] as number] as number);
    }
    if (a < (r.lower[i] as number) - tol || a > (r.upper[i] as number) + tol) return false;
  }
  return true;
}

describe("toMilp (big-M lowering)", () => {
  it("a point of C extends, with δ from its restriction, to a feasible point of the MILP", () => {
    fc.assert(
      fc.property(arbReluSystem(), ({ sys, point }) => {
        const milp = toMilp(sys, { sense: "min", coefficients: [] });
        const r = restrictAt(sys, point);
        const x = new Float64Array(milp.lp.numCols);
        x.set(point);
        milp.indicators.forEach((deltas, d) => {
          x[deltas[r.choices[d] as number] as number] = 1;
        });
        expect(rowsSatisfied(milp.lp, x)).toBe(true);
        expect(
          Array.from(milp.lp.integer ?? [])
            .slice(milp.numVars)
            .every((v) => v === 1),
        ).toBe(true);
      }),
    );
  });

  it("with every δ of a disjunction at 0, the MILP is violated", () => {
    fc.assert(
      fc.property(arbReluSystem(), ({ sys, point }) => {
        const milp = toMilp(sys, { sense: "min", coefficients: [] });
        const x = new Float64Array(milp.lp.numCols);
        x.set(point);
        expect(rowsSatisfied(milp.lp, x)).toBe(false);
      }),
    );
  });

  it("needs finite bounds on variables under a disjunction", () => {
    const sys = new ConstraintSystem();
    sys.vars.add();
    sys.require(or(sys.row([0], [1], 0, "ge"), sys.row([0], [1], 0, "le")));
    expect(() => toMilp(sys, { sense: "min", coefficients: [1] })).toThrow(UnboundedDisjunctError);
  });
});
