import { solverConformance } from "@rho/solvers/testing";
import { describe, expect, it } from "vitest";
import { createHighsSolver } from "../src/index.js";
import { denseLp, sliceRows } from "./programs.js";

describe("highs", () => {
  solverConformance(createHighsSolver);

  it("warm-starts a session re-solve after added rows", async () => {
    const s = await createHighsSolver();
    expect(s.capabilities.warmStart).toBe(true);
    const lp = denseLp(60, 80);
    const cold = await s.solve(lp);
    const session = s.session({ ...lp, rows: sliceRows(lp.rows, 0, 40) });
    try {
      await session.solve();
      session.addRows(sliceRows(lp.rows, 40, 80));
      const warm = await session.solve();
      expect(warm.status).toBe("optimal");
      expect(warm.objective).toBeCloseTo(cold.objective as number, 6);
      // the second solve starts from the first one's basis, so it needs fewer iterations
      expect(warm.iterations as number).toBeLessThan(cold.iterations as number);
    } finally {
      session.dispose();
    }
  });
});
