// The checks every LpSolver adapter must pass. An adapter's test file calls
// `solverConformance(factory)`; a new adapter inherits all of them.
import { concatRows, InvalidModelError, type LinearProgram } from "@rho/constraints";
import { arbLinearProgram } from "@rho/constraints/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findViolation, type LpSolver, UnsupportedError } from "../index.js";
import { arbFeasibleLp, denseLp, lp, sliceRows, twoByTwo } from "./programs.js";
import { integerEnumeration, vertexEnumeration } from "./reference.js";

const inf = Number.POSITIVE_INFINITY;

export function solverConformance(create: () => Promise<LpSolver>): void {
  let solver: LpSolver;
  const get = async () => {
    solver ??= await create();
    return solver;
  };

  describe("LP conformance", () => {
    it("finds a known optimum, with objective offset, time and primal", async () => {
      const s = await get();
      const r = await s.solve(twoByTwo);
      expect(r.status).toBe("optimal");
      expect(r.solver).toBe(s.name);
      expect(r.objective).toBeCloseTo(3.8, 9);
      expect(r.primal?.[0]).toBeCloseTo(1.6, 9);
      expect(r.primal?.[1]).toBeCloseTo(1.2, 9);
      expect(r.seconds).toBeGreaterThanOrEqual(0);
    });

    it("handles free, negative, fixed columns and equality, ranged and ≤ rows (maximising)", async () => {
      const s = await get();
      // max x − y + z s.t. x + y = 3, −2 ≤ x − z ≤ 1, y ≥ −5 ; x free, y ∈ [−5, ∞), z = −1
      const p = lp({
        sense: "max",
        c: [1, -1, 1],
        lo: [-inf, -5, -1],
        hi: [inf, inf, -1],
        rows: [
          { a: [1, 1, 0], lo: 3, hi: 3 },
          { a: [1, 0, -1], lo: -2, hi: 1 },
          { a: [0, 1, 0], lo: -inf, hi: 100 },
        ],
      });
      const r = await s.solve(p);
      expect(r.status).toBe("optimal");
      // x ≤ 1 + z = 0, y = 3 − x ⇒ x − y + z = 2x − 3 − 1, maximised at x = 0: −4
      expect(r.objective).toBeCloseTo(-4, 8);
      expect(r.primal?.[2]).toBeCloseTo(-1, 9);
    });

    it("solves programs with no rows and with no columns", async () => {
      const s = await get();
      const box = await s.solve(lp({ c: [2, -3], lo: [1, -1], hi: [4, 5] }));
      expect(box.status).toBe("optimal");
      expect(box.objective).toBeCloseTo(2 - 15, 9);
      const empty = await s.solve(lp({ c: [], offset: 7, lo: [], hi: [] }));
      expect(empty.status).toBe("optimal");
      expect(empty.objective).toBe(7);
    });

    it("reports an infeasible LP as infeasible", async () => {
      const s = await get();
      const p = lp({
        c: [1, 1],
        lo: [0, 0],
        hi: [inf, inf],
        rows: [
          { a: [1, 1], lo: 5, hi: inf },
          { a: [1, 1], lo: -inf, hi: 4 },
        ],
      });
      expect((await s.solve(p)).status).toBe("infeasible");
      // infeasible through column bounds alone
      const q = lp({ c: [1], lo: [0], hi: [1], rows: [{ a: [1], lo: 2, hi: inf }] });
      expect((await s.solve(q)).status).toBe("infeasible");
    });

    it("reports an unbounded LP as unbounded", async () => {
      const s = await get();
      const p = lp({ c: [-1, 0], lo: [0, 0], hi: [inf, 1], rows: [{ a: [1, -1], lo: 0, hi: inf }] });
      expect((await s.solve(p)).status).toBe("unbounded");
    });

    it("matches vertex enumeration on random boxed LPs (status and objective)", async () => {
      const s = await get();
      await fc.assert(
        fc.asyncProperty(arbLinearProgram({ maxCols: 3, maxRows: 4, box: true }), async (p) => {
          const ref = vertexEnumeration(p);
          const r = await s.solve(p);
          expect(r.status).toBe(ref.status);
          if (ref.status === "optimal") {
            expect(r.objective).toBeCloseTo(ref.objective, 6);
            expect(findViolation(p, r.primal as Float64Array)).toBeUndefined();
          }
        }),
        { numRuns: 150 },
      );
    });

    it("reports random infeasible and unbounded LPs as such", async () => {
      const s = await get();
      await fc.assert(
        fc.asyncProperty(arbFeasibleLp({ maxCols: 5, maxRows: 5, unbounded: true }), async (p) => {
          expect((await s.solve(p)).status).toBe("unbounded");
        }),
        { numRuns: 40 },
      );
      await fc.assert(
        fc.asyncProperty(arbFeasibleLp({ maxCols: 5, maxRows: 5 }), fc.nat(), async (p, k) => {
          // Contradict a row (or, without rows, a column bound) with a new row.
          const j = k % p.numCols;
          const a = new Float64Array(p.numCols);
          a[j] = 1;
          const bad = lp({
            c: [],
            lo: [],
            hi: [],
            rows: [{ a: Array.from(a), lo: (p.colUpper[j] as number) + 1, hi: inf }],
          });
          const q: LinearProgram = { ...p, rows: concatRows(p.rows, bad.rows) };
          expect((await s.solve(q)).status).toBe("infeasible");
        }),
        { numRuns: 40 },
      );
    });

    it("a session re-solves after added rows like a fresh solve", async () => {
      const s = await get();
      await fc.assert(
        fc.asyncProperty(arbFeasibleLp({ maxCols: 6, maxRows: 8 }), fc.nat(), async (p, cut) => {
          const k = cut % (p.rows.count + 1);
          const first = lp({ c: [], lo: [], hi: [], rows: [] });
          const head = { ...p, rows: sliceRows(p.rows, 0, k) };
          const session = s.session(head);
          try {
            await session.solve();
            session.addRows(sliceRows(p.rows, k, p.rows.count));
            session.addRows(first.rows); // adding nothing is allowed
            expect(session.numRows).toBe(p.rows.count);
            const again = await session.solve();
            const fresh = await s.solve(p);
            expect(again.status).toBe(fresh.status);
            if (fresh.status === "optimal") expect(again.objective).toBeCloseTo(fresh.objective as number, 6);
          } finally {
            session.dispose();
          }
        }),
        { numRuns: 40 },
      );
    });

    it("honours a time limit: no solve can hang", async () => {
      const s = await get();
      expect(s.capabilities.timeLimit).toBe(true);
      const big = denseLp(120, 1200);
      const r = await s.solve(big, { timeLimit: 0.001 });
      expect(r.status).toBe("time_limit");
      expect(r.primal).toBeUndefined();
      // stopped near the limit, also through a session
      const t0 = performance.now();
      const session = s.session(denseLp(200, 2000), { timeLimit: 0.2 });
      const viaSession = await session.solve();
      session.dispose();
      expect(["time_limit", "optimal"]).toContain(viaSession.status);
      expect((performance.now() - t0) / 1000).toBeLessThan(10);
      // a generous limit changes nothing
      expect((await s.solve(twoByTwo, { timeLimit: 60 })).status).toBe("optimal");
    });

    it("huge bounds and coefficients: a correct answer or a clear refusal, never a wrong status", async () => {
      const s = await get();
      const inf = Number.POSITIVE_INFINITY;
      // bounded: min x over x ≥ −1e300 has the optimum −1e300 (HiGHS would read −1e300 as −∞)
      const hugeBound = lp({
        c: [1, 0],
        lo: [-1e300, -inf],
        hi: [inf, 5],
        rows: [{ a: [1, 1], lo: -1e300, hi: inf }],
      });
      // a coefficient of 1e16 (HiGHS refuses matrix entries ≥ 1e15)
      const hugeCoef = lp({ c: [1, 1], lo: [0, 0], hi: [1, 1], rows: [{ a: [1e16, 1], lo: 1, hi: inf }] });
      // a cost of 1e25 (HiGHS reads costs ≥ 1e20 as infinite)
      const hugeCost = lp({ c: [1e25, 1], lo: [1, 0], hi: [2, 1] });
      for (const [name, program, optimum] of [
        ["bound", hugeBound, -1e300],
        ["coefficient", hugeCoef, undefined],
        ["cost", hugeCost, 1e25],
      ] as const) {
        let r: Awaited<ReturnType<typeof s.solve>>;
        try {
          r = await s.solve(program);
        } catch (e) {
          expect(e, name).toBeInstanceOf(UnsupportedError);
          expect((e as Error).message, name).toMatch(/e\+(15|16|20|25|300)/);
          continue;
        }
        // an answer must be right: optimal (checked against the program by rho), or an error status
        expect(["optimal", "error"], name).toContain(r.status);
        if (r.status === "optimal" && optimum !== undefined)
          expect(r.objective as number, name).toBeCloseTo(optimum, -Math.log10(Math.abs(optimum)) + 6);
      }
    });

    it("rejects a malformed program with a typed error, not a crash", async () => {
      const s = await get();
      const nan = { ...twoByTwo, objective: Float64Array.from([Number.NaN, 1]) };
      await expect(s.solve(nan)).rejects.toThrow(InvalidModelError);
      const badIndex = { ...twoByTwo, rows: { ...twoByTwo.rows, indices: Int32Array.from([0, 1, 0, 7]) } };
      await expect(s.solve(badIndex)).rejects.toThrow(/column 7/);
      const crossed = {
        ...twoByTwo,
        colLower: Float64Array.from([3, 0]),
        colUpper: Float64Array.from([2, 1]),
      };
      await expect(s.solve(crossed)).rejects.toThrow(InvalidModelError);
    });
  });

  describe("MILP conformance", () => {
    it("solves MILPs when it claims to, and refuses them with UnsupportedError otherwise", async () => {
      const s = await get();
      // knapsack: max 5a + 4b + 3c s.t. 2a + 3b + c ≤ 5, 4a + b + 2c ≤ 11, 3a + 4b + 2c ≤ 8, binaries: 9 at (1, 1, 0)
      const knapsack = lp({
        sense: "max",
        c: [5, 4, 3],
        lo: [0, 0, 0],
        hi: [1, 1, 1],
        integer: [1, 1, 1],
        rows: [
          { a: [2, 3, 1], lo: -inf, hi: 5 },
          { a: [4, 1, 2], lo: -inf, hi: 11 },
          { a: [3, 4, 2], lo: -inf, hi: 8 },
        ],
      });
      if (!s.capabilities.mip) {
        await expect(s.solve(knapsack)).rejects.toThrow(UnsupportedError);
        return;
      }
      const r = await s.solve(knapsack);
      expect(r.status).toBe("optimal");
      expect(r.objective).toBeCloseTo(9, 9);
      await fc.assert(
        fc.asyncProperty(arbLinearProgram({ maxCols: 3, maxRows: 3, box: true }), async (p0) => {
          const p = { ...p0, integer: new Uint8Array(p0.numCols).fill(1) };
          const ref = integerEnumeration(p);
          // the focus changes where the time goes, never the answer
          for (const mipFocus of ["balanced", "bound"] as const) {
            const got = await s.solve(p, { mipFocus });
            expect(got.status).toBe(ref.status);
            if (ref.status === "optimal") expect(got.objective).toBeCloseTo(ref.objective, 6);
            // a reported bound is proven: on the right side of the optimum (offset included)
            if (ref.status === "optimal" && got.bound !== undefined) {
              const slack = 1e-6 * Math.max(1, Math.abs(ref.objective));
              if (p.sense === "min") expect(got.bound).toBeLessThanOrEqual(ref.objective + slack);
              else expect(got.bound).toBeGreaterThanOrEqual(ref.objective - slack);
            }
          }
        }),
        { numRuns: 60 },
      );
    });
  });
}
