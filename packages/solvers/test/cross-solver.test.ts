import type { LinearProgram } from "@rho/constraints";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  batchSource,
  getSolver,
  type LpSolver,
  RowPool,
  solveIteratively,
  solverNames,
  withAllRows,
} from "../src/index.js";
import { arbFeasibleLp, lp, sliceRows } from "./programs.js";

const inf = Number.POSITIVE_INFINITY;
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

async function all(): Promise<LpSolver[]> {
  return Promise.all(solverNames().map((n) => getSolver(n)));
}

/** The first `k` rows stay in the base LP, the rest go to a pool. */
function split(p: LinearProgram, k: number) {
  return { base: { ...p, rows: sliceRows(p.rows, 0, k) }, pool: sliceRows(p.rows, k, p.rows.count) };
}

describe("cross-solver agreement", () => {
  it("random bounded feasible LPs get the same objective from every adapter (1e-6 relative)", async () => {
    const solvers = await all();
    await fc.assert(
      fc.asyncProperty(arbFeasibleLp({ maxCols: 12, maxRows: 12 }), async (p) => {
        const results = await Promise.all(solvers.map((s) => s.solve(p)));
        for (const r of results) expect(r.status, r.solver).toBe("optimal");
        const objs = results.map((r) => r.objective as number);
        for (const o of objs) expect(close(o, objs[0]!), `${objs}`).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("LPs with a free column get the same status and objective from every adapter", async () => {
    const solvers = await all();
    await fc.assert(
      fc.asyncProperty(arbFeasibleLp({ maxCols: 6, maxRows: 6, free: true }), async (p) => {
        const results = await Promise.all(solvers.map((s) => s.solve(p)));
        const statuses = new Set(results.map((r) => r.status));
        expect(statuses.size, results.map((r) => `${r.solver}:${r.status}`).join(" ")).toBe(1);
        if (results[0]!.status === "optimal") {
          for (const r of results) expect(close(r.objective!, results[0]!.objective!)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("interior point (method: interior)", () => {
  it("reaches the simplex's status and objective, in one go and iteratively, with a vertex rho checked", async () => {
    const solvers = (await all()).filter((s) => s.capabilities.interiorPoint);
    expect(solvers.map((s) => s.name)).toContain("highs");
    await fc.assert(
      fc.asyncProperty(arbFeasibleLp({ maxCols: 10, maxRows: 14 }), fc.nat(), async (p, k0) => {
        const { base, pool } = split(p, k0 % (p.rows.count + 1));
        for (const s of solvers) {
          const simplex = await s.solve(p);
          const interior = await s.solve(p, { method: "interior" });
          expect(interior.status).toBe(simplex.status);
          if (simplex.status !== "optimal") continue;
          // "optimal" carries a primal rho has checked against every row and bound
          expect(interior.primal).toBeDefined();
          expect(close(interior.objective as number, simplex.objective as number)).toBe(true);
          const it = await solveIteratively(s, base, new RowPool(pool), { method: "interior" });
          expect(it.result.status).toBe("optimal");
          expect(close(it.result.objective as number, simplex.objective as number)).toBe(true);
          // one row a round: past the first solve, HiGHS takes such rounds by the dual simplex
          // from the last basis (WARM_ROWS_PER_COLUMN), which must reach the same optimum
          const warm = await solveIteratively(s, base, new RowPool(pool, 1), { method: "interior" });
          expect(warm.result.status).toBe("optimal");
          expect(close(warm.result.objective as number, simplex.objective as number)).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("a solver without one refuses it by name instead of ignoring it", async () => {
    const p = lp({ c: [1], lo: [0], hi: [1] });
    const without = (await all()).filter((x) => !x.capabilities.interiorPoint);
    expect(without.map((s) => s.name)).toEqual(expect.arrayContaining(["glpk", "jslp"]));
    for (const s of without)
      await expect(s.solve(p, { method: "interior" })).rejects.toThrow(
        `${s.name} has no interior point method`,
      );
  });
});

describe("iterative constraint solving", () => {
  it("returns the full solve's optimum, with every solver", async () => {
    const solvers = await all();
    await fc.assert(
      fc.asyncProperty(arbFeasibleLp({ maxCols: 8, maxRows: 14 }), fc.nat(), async (p, k0) => {
        const { base, pool } = split(p, k0 % (p.rows.count + 1));
        for (const s of solvers) {
          const full = await s.solve(withAllRows(base, pool));
          const it = await solveIteratively(s, base, new RowPool(pool));
          expect(it.result.status).toBe(full.status);
          expect(close(it.result.objective!, full.objective!)).toBe(true);
          expect(it.rowsAdded).toBeLessThanOrEqual(pool.count);
          expect(it.rounds).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("recovers when the relaxation is unbounded but the full LP is not", async () => {
    const s = await getSolver("highs");
    // min x with only the pool bounding x from below: x ≥ 2 and x ≥ −1.
    const base = lp({ c: [1], lo: [-inf], hi: [inf] });
    const pool = lp({
      c: [0],
      lo: [0],
      hi: [0],
      rows: [
        { a: [1], lo: 2, hi: inf },
        { a: [1], lo: -1, hi: inf },
      ],
    }).rows;
    const it = await solveIteratively(s, base, new RowPool(pool));
    expect(it.result.status).toBe("optimal");
    expect(it.result.objective).toBeCloseTo(2, 9);
    expect(it.rounds).toBe(2);
  });

  it("proves infeasibility from an infeasible relaxation", async () => {
    const s = await getSolver("glpk");
    const base = lp({ c: [1], lo: [0], hi: [1], rows: [{ a: [1], lo: 3, hi: inf }] });
    const it = await solveIteratively(s, base, new RowPool(sliceRows(base.rows, 0, 0)));
    expect(it.result.status).toBe("infeasible");
  });

  it("caps costly rows per round while cheap ones fill it, and the optimum is the same", async () => {
    const s = await getSolver("highs");
    // min x + y over a box; the pool pushes x ≥ i (i = 1..5, costly) and y ≥ j (j = 1..3, cheap)
    const base = lp({ c: [1, 1], lo: [0, 0], hi: [10, 10] });
    const rows = lp({
      c: [0, 0],
      lo: [0, 0],
      hi: [0, 0],
      rows: [1, 2, 3, 4, 5]
        .map((i) => ({ a: [1, 0], lo: i, hi: inf }))
        .concat([1, 2, 3].map((j) => ({ a: [0, 1], lo: j, hi: inf }))),
    }).rows;
    const handed: number[][] = [];
    const source = { ...batchSource(rows), costly: (id: number) => id < 5 };
    const traced = {
      ...source,
      rows: (ids: readonly number[]) => {
        handed.push([...ids]);
        return source.rows(ids);
      },
    };
    const it = await solveIteratively(s, base, new RowPool(traced, 3, [], { costlyPerRound: 1 }));
    expect(it.result.objective).toBeCloseTo(8, 9);
    // round 1: the most violated costly row (x ≥ 5) and the two most violated cheap ones (y ≥ 3, 2)
    expect(handed[0]).toEqual([4, 6, 7]);
    // with only one cheap row left violated, costly ones fill the round
    expect(handed.flat().length).toBeLessThanOrEqual(8);
    const uncapped = await solveIteratively(s, base, new RowPool(rows, 3));
    expect(uncapped.result.objective).toBeCloseTo(8, 9);
  });

  it("adds at most maxPerRound rows per round, most violated first", async () => {
    const s = await getSolver("highs");
    // min x + y over a box; the pool pushes x ≥ i for i = 1..5 and y ≥ 3.
    const base = lp({ c: [1, 1], lo: [0, 0], hi: [10, 10] });
    const pool = lp({
      c: [0, 0],
      lo: [0, 0],
      hi: [0, 0],
      rows: [1, 2, 3, 4, 5]
        .map((i) => ({ a: [1, 0], lo: i, hi: inf }))
        .concat([{ a: [0, 1], lo: 3, hi: inf }]),
    }).rows;
    const it = await solveIteratively(s, base, new RowPool(pool, 1));
    expect(it.result.objective).toBeCloseTo(8, 9);
    // round 1 adds x ≥ 5 (most violated), round 2 adds y ≥ 3, round 3 finds nothing violated
    expect(it.rounds).toBe(3);
    expect(it.rowsAdded).toBe(2);
  });
});
