import { solverConformance } from "@rho/solvers/testing";
import { describe, expect, it } from "vitest";
import { createGlpkSolver } from "../src/index.js";
import { marketSplit } from "./programs.js";

describe("glpk", () => {
  solverConformance(createGlpkSolver);

  it("a MILP stopped by its time limit is time_limit, not an error", async () => {
    const r = await (await createGlpkSolver()).solve(marketSplit(5, 7), { timeLimit: 0.3 });
    expect(r.status).toBe("time_limit");
    expect(r.message).toMatch(/time limit of 0.3 s/);
  });
});
