// The constraint IR and the solvers together: properties of D(x*) and of the big-M MILP that need an LP solver.
import { type ConstraintSystem, restrictAt, satisfies, toLinearProgram } from "@rho/constraints";
import { arbReluSystem, toMilp } from "@rho/constraints/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getSolver } from "../src/index.js";

const objective = (sys: ConstraintSystem, c: number[]) => ({
  sense: "min" as const,
  coefficients: Array.from({ length: sys.vars.count }, (_, j) => c[j % c.length]!),
});

describe("convex restriction through an LP solver", () => {
  it("every optimum over D(x*) satisfies the original system C", async () => {
    const s = await getSolver("highs");
    await fc.assert(
      fc.asyncProperty(
        arbReluSystem(),
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 5 }),
        async ({ sys, point }, c) => {
          const lp = toLinearProgram(sys, {
            rows: restrictAt(sys, point).rows,
            objective: objective(sys, c),
          });
          const r = await s.solve(lp);
          // x* itself is feasible, and everything is boxed: the LP must have an optimum.
          expect(r.status).toBe("optimal");
          expect(satisfies(sys, r.primal!, { tol: 1e-6 })).toBe(true);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe("big-M MILP through a MILP solver", () => {
  it.each(["highs", "glpk"])(
    "with the inputs fixed, the MILP (%s) is feasible iff the point satisfies C",
    async (name) => {
      const s = await getSolver(name);
      await fc.assert(
        fc.asyncProperty(
          arbReluSystem(),
          // Disturbances of 0 or at least 0.01: far above any solver's feasibility tolerance.
          fc.array(
            fc.integer({ min: -300, max: 300 }).map((v) => v / 100),
            { minLength: 12, maxLength: 12 },
          ),
          fc.boolean(),
          async ({ sys, point }, noise, perturb) => {
            // Either the consistent point, or a disturbed one (usually not in C), kept inside the
            // variable box: big-M is only valid there.
            const x = Float64Array.from(point, (v, j) =>
              perturb
                ? Math.min(sys.vars.upper(j), Math.max(sys.vars.lower(j), v + noise[j % noise.length]!))
                : v,
            );
            const { lp } = toMilp(sys, { sense: "min", coefficients: [] });
            const lo = Float64Array.from(lp.colLower);
            const hi = Float64Array.from(lp.colUpper);
            for (let j = 0; j < sys.vars.count; j++) {
              lo[j] = x[j]!;
              hi[j] = x[j]!;
            }
            const r = await s.solve({ ...lp, colLower: lo, colUpper: hi });
            const inC = satisfies(sys, x, { tol: 1e-9, bounds: true });
            if (inC) expect(r.status, r.message).toBe("optimal");
            else if (r.status === "optimal") {
              // A solver's feasibility tolerance is relative to the big-M row sizes (≈1e-7 × 200).
              expect(satisfies(sys, x, { tol: 1e-4 })).toBe(true);
            } else expect(r.status).toBe("infeasible");
          },
        ),
        { numRuns: 60 },
      );
    },
  );
});
