import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  and,
  ConstraintSystem,
  DisjunctionError,
  or,
  PointOutsideError,
  restrictAt,
  satisfies,
  toLinearProgram,
} from "../src/index.js";
import { arbReluSystem } from "../src/testing.js";

/** Whether x satisfies every row of the restriction (and the bounds). */
function satisfiesRows(sys: ConstraintSystem, rows: Int32Array, x: ArrayLike<number>, tol = 1e-9): boolean {
  for (let j = 0; j < sys.vars.count; j++) {
    const v = x[j] as number;
    if (v < sys.vars.lower(j) - tol || v > sys.vars.upper(j) + tol) return false;
  }
  return Array.from(rows).every((r) => sys.rows.satisfied(r, x, tol));
}

describe("evaluation", () => {
  it("decides ∧ and ∨ with a tolerance", () => {
    const sys = new ConstraintSystem();
    sys.vars.addMany(2);
    // (x ≥ 0) ∨ (y ≥ 0), the paper's example of a non-convex feasible set
    sys.require(or(sys.row([0], [1], 0, "ge"), sys.row([1], [1], 0, "ge")));
    expect(satisfies(sys, [1, -1])).toBe(true);
    expect(satisfies(sys, [-1, 1])).toBe(true);
    expect(satisfies(sys, [-1, -1])).toBe(false);
    expect(satisfies(sys, [-1e-10, -1])).toBe(true);
    expect(satisfies(sys, [-1e-6, -1], { tol: 1e-7 })).toBe(false);
  });

  it("checks variable bounds unless told not to", () => {
    const sys = new ConstraintSystem();
    sys.vars.add(0, 1);
    expect(satisfies(sys, [2])).toBe(false);
    expect(satisfies(sys, [2], { bounds: false })).toBe(true);
  });
});

describe("restrictAt (the paper's D(x*))", () => {
  it("a point satisfies its own restriction", () => {
    fc.assert(
      fc.property(arbReluSystem(), ({ sys, point }) => {
        expect(satisfies(sys, point, { tol: 1e-9 })).toBe(true);
        const r = restrictAt(sys, point);
        expect(satisfiesRows(sys, r.rows, point)).toBe(true);
      }),
    );
  });

  it("every point satisfying the restriction satisfies the original system", () => {
    fc.assert(
      fc.property(
        arbReluSystem(),
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
        ({ sys, point, inputs, hidden }, dir) => {
          const r = restrictAt(sys, point);
          // Move the inputs, then recompute z and y *inside the restriction's linear region*:
          // y = z where the unit was chosen active, 0 where inactive.
          const q = Float64Array.from(point);
          for (let i = 0; i < inputs; i++)
            q[i] = Math.max(-1, Math.min(1, (q[i] as number) + 0.3 * (dir[i] as number)));
          for (let h = 0; h < hidden; h++) {
            const zRow = sys.requiredRows()[h] as number;
            // zRow is z_h − Σ w x − b = 0; evaluate it with z_h = 0 to get −(Σ w x + b).
            q[inputs + h] = 0;
            const z = -sys.rows.activity(zRow, q);
            q[inputs + h] = z;
            q[inputs + hidden + h] = r.choices[h] === 0 ? z : 0;
          }
          if (satisfiesRows(sys, r.rows, q)) expect(satisfies(sys, q)).toBe(true);
        },
      ),
    );
  });

  it("counts ties and resolves them to the first satisfied alternative", () => {
    const sys = new ConstraintSystem();
    sys.vars.addMany(1);
    const a = sys.row([0], [1], 0, "ge");
    const b = sys.row([0], [1], 0, "le");
    sys.require(or(a, b));
    const tied = restrictAt(sys, [0]);
    expect(tied.ties).toBe(1);
    expect(Array.from(tied.tiedDisjunctions)).toEqual([0]);
    expect(tied.choices[0]).toBe(0);
    const clear = restrictAt(sys, [-2]);
    expect(clear.ties).toBe(0);
    expect(clear.choices[0]).toBe(1);
    expect(Array.from(clear.rows)).toEqual([1]);
  });

  it("resolves nested disjunctions and keeps required rows", () => {
    const sys = new ConstraintSystem();
    sys.vars.addMany(2);
    const req = sys.add([0, 1], [1, 1], -10, "le");
    const inner = or(sys.row([1], [1], -5, "ge"), sys.row([1], [1], 0, "le"));
    sys.require(or(and(sys.row([0], [1], 0, "ge"), inner), sys.row([0], [1], 0, "le")));
    const r = restrictAt(sys, [1, -1]);
    expect(Array.from(r.rows)).toEqual([req, 3, 2]); // x ≥ 0 (row 3), then the inner y ≤ 0 (row 2)
  });

  it("rejects a point outside every alternative", () => {
    const sys = new ConstraintSystem();
    sys.vars.addMany(1);
    sys.require(or(sys.row([0], [1], -1, "ge"), sys.row([0], [1], 1, "le")));
    expect(() => restrictAt(sys, [0])).toThrow(PointOutsideError);
  });

  it("refuses to lower a system with disjunctions straight to an LP", () => {
    const sys = new ConstraintSystem();
    sys.vars.addMany(1);
    sys.require(or(sys.row([0], [1], 0, "ge"), sys.row([0], [1], 0, "le")));
    expect(() => toLinearProgram(sys, { objective: { sense: "min", coefficients: [1] } })).toThrow(
      DisjunctionError,
    );
    const lp = toLinearProgram(sys, {
      rows: restrictAt(sys, [3]).rows,
      objective: { sense: "min", coefficients: [1] },
    });
    expect(lp.rows.count).toBe(1);
    expect(lp.rows.lower[0]).toBe(-0);
  });
});
