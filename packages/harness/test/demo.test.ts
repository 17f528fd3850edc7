import { describe, expect, it } from "vitest";
import { rho } from "./capture.js";

describe("rho demo", () => {
  it("all solvers agree, full and iterative, and every example is verified", async () => {
    const r = await rho("demo", "--json", "--points", "4");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      results: { status: string; rho?: number; verified?: boolean }[];
      disagreements: number;
    };
    expect(j.disagreements).toBe(0);
    expect(j.results).toHaveLength(4 * 3 * 2);
    const optimal = j.results.filter((x) => x.status === "optimal");
    expect(optimal.length).toBeGreaterThan(0);
    for (const x of optimal) {
      expect(x.verified).toBe(true);
      expect(x.rho).toBeGreaterThan(0);
    }
  });

  it("rejects an unknown solver", async () => {
    const r = await rho("demo", "--solvers", "highs,gurobi");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown solver "gurobi"/);
  });
});
