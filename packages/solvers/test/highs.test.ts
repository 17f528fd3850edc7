import { solverConformance } from "@rho/solvers/testing";
import { describe, expect, it } from "vitest";
import { createHighsSolver, UnsupportedError } from "../src/index.js";
import { denseLp, knapsack, marketSplit, sliceRows } from "./programs.js";

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

  it("sets the solver's own options by name, and refuses an unknown one naming it", async () => {
    const s = await createHighsSolver();
    const lp = denseLp(40, 60);
    const plain = await s.solve(lp);
    // the iteration limit is honoured: proof the option reached HiGHS
    const capped = await s.solve(lp, { solverOptions: { simplex_iteration_limit: 1 } });
    expect(capped.status).toBe("iteration_limit");
    const scaled = await s.solve(lp, { solverOptions: { simplex_scale_strategy: 4, presolve: "off" } });
    expect(scaled.status).toBe("optimal");
    expect(scaled.objective).toBeCloseTo(plain.objective as number, 6);
    expect(() => s.session(lp, { solverOptions: { no_such_option: 1 } })).toThrow(/no_such_option/);
  });
});

describe("highs MILPs with a time limit (solved in a worker thread ended at the limit)", () => {
  it("gives the in-thread answer", async () => {
    const s = await createHighsSolver();
    for (const seed of [1, 2, 3, 4]) {
      const lp = knapsack(12, seed);
      const here = await s.solve(lp);
      const there = await s.solve(lp, { timeLimit: 30 });
      expect(there.status).toBe("optimal");
      expect(there.objective).toBeCloseTo(here.objective as number, 9);
      expect(there.primal?.length).toBe(12);
    }
  });

  it("a MILP that needs longer stops at its limit", async () => {
    const t0 = performance.now();
    const r = await (await createHighsSolver()).solve(marketSplit(5, 7), { timeLimit: 0.5 });
    expect(r.status).toBe("time_limit");
    // the worker's start and the model's transfer count too (more on a busy machine); without the
    // limit this MILP runs for minutes
    expect((performance.now() - t0) / 1000).toBeLessThan(0.5 * 1.1 + 1.5);
  });

  it("keeps the solver's errors as they are", async () => {
    const s = await createHighsSolver();
    await expect(
      s.solve(knapsack(5, 1), { timeLimit: 5, solverOptions: { no_such_option: 1 } }),
    ).rejects.toThrow(UnsupportedError);
  });
});
