// rho's CPLEX LP text is read by another implementation (HiGHS's own LP reader) to the same optimum.
import { writeLpFormat } from "@rho/constraints";
import fc from "fast-check";
import * as highsModule from "highs";
import { describe, expect, it } from "vitest";
import { getSolver } from "../src/index.js";
import { arbFeasibleLp } from "./programs.js";

type Loader = typeof highsModule.default.default;
const ns = highsModule as unknown as { default: Loader | { default: Loader } };
const loadHighs: Loader = typeof ns.default === "function" ? ns.default : ns.default.default;

describe("LP text interoperability", () => {
  it("HiGHS's LP reader finds the optimum rho's solvers find", async () => {
    const highs = await loadHighs();
    const s = await getSolver("glpk");
    await fc.assert(
      fc.asyncProperty(arbFeasibleLp({ maxCols: 8, maxRows: 8 }), async (p) => {
        const ours = await s.solve(p);
        const theirs = highs.solve(writeLpFormat(p), { output_flag: false });
        expect(theirs.Status).toBe("Optimal");
        expect(theirs.ObjectiveValue).toBeCloseTo(ours.objective!, 6);
      }),
      { numRuns: 60 },
    );
  });
});
