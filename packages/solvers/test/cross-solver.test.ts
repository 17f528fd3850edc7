import { concatRows, emptyRows, type LinearProgram, type RowBatch } from "@rho/constraints";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  getSolver,
  type LpSolver,
  RowPool,
  solveIteratively,
  solverNames,
  withAllRows,
} from "../src/index.js";
import { arbFeasibleLp } from "./programs.js";

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

async function all(): Promise<LpSolver[]> {
  return Promise.all(solverNames().map((n) => getSolver(n)));
}

/** Splits a program's rows: the first `k` stay in the base LP, the rest go to a pool. */
function split(p: LinearProgram, k: number): { base: LinearProgram; pool: RowBatch } {
  const r = p.rows;
  const take = (from: number, to: number): RowBatch => {
    const s0 = r.starts[from]!;
    const s1 = r.starts[to]!;
    return {
      count: to - from,
      starts: Int32Array.from(r.starts.subarray(from, to + 1), (v) => v - s0),
      indices: r.indices.slice(s0, s1),
      values: r.values.slice(s0, s1),
      lower: r.lower.slice(from, to),
      upper: r.upper.slice(from, to),
    };
  };
  return { base: { ...p, rows: take(0, k) }, pool: take(k, r.count) };
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
    const base: LinearProgram = {
      numCols: 1,
      sense: "min",
      objective: Float64Array.from([1]),
      objectiveOffset: 0,
      colLower: Float64Array.from([Number.NEGATIVE_INFINITY]),
      colUpper: Float64Array.from([Number.POSITIVE_INFINITY]),
      rows: emptyRows(),
    };
    const pool: RowBatch = {
      count: 2,
      starts: Int32Array.from([0, 1, 2]),
      indices: Int32Array.from([0, 0]),
      values: Float64Array.from([1, 1]),
      lower: Float64Array.from([2, -1]),
      upper: Float64Array.from([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]),
    };
    const it = await solveIteratively(s, base, new RowPool(pool));
    expect(it.result.status).toBe("optimal");
    expect(it.result.objective).toBeCloseTo(2, 9);
    expect(it.rounds).toBe(2);
  });

  it("proves infeasibility from an infeasible relaxation", async () => {
    const s = await getSolver("glpk");
    const base: LinearProgram = {
      numCols: 1,
      sense: "min",
      objective: Float64Array.from([1]),
      objectiveOffset: 0,
      colLower: Float64Array.from([0]),
      colUpper: Float64Array.from([1]),
      rows: concatRows(emptyRows(), {
        count: 1,
        starts: Int32Array.from([0, 1]),
        indices: Int32Array.from([0]),
        values: Float64Array.from([1]),
        lower: Float64Array.from([3]),
        upper: Float64Array.from([Number.POSITIVE_INFINITY]),
      }),
    };
    const it = await solveIteratively(s, base, new RowPool(emptyRows()));
    expect(it.result.status).toBe("infeasible");
  });

  it("adds at most maxPerRound rows per round, most violated first", async () => {
    const s = await getSolver("highs");
    // min x + y over a box; the pool pushes x ≥ i for i = 1..5 and y ≥ 3.
    const n = 6;
    const pool: RowBatch = {
      count: n,
      starts: Int32Array.from({ length: n + 1 }, (_, i) => i),
      indices: Int32Array.from([0, 0, 0, 0, 0, 1]),
      values: Float64Array.from([1, 1, 1, 1, 1, 1]),
      lower: Float64Array.from([1, 2, 3, 4, 5, 3]),
      upper: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
    };
    const base: LinearProgram = {
      numCols: 2,
      sense: "min",
      objective: Float64Array.from([1, 1]),
      objectiveOffset: 0,
      colLower: Float64Array.from([0, 0]),
      colUpper: Float64Array.from([10, 10]),
      rows: emptyRows(),
    };
    const it = await solveIteratively(s, base, new RowPool(pool, 1));
    expect(it.result.objective).toBeCloseTo(8, 9);
    // round 1 adds x ≥ 5 (most violated), round 2 adds y ≥ 3, round 3 finds nothing violated
    expect(it.rounds).toBe(3);
    expect(it.rowsAdded).toBe(2);
  });
});
