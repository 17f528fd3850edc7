import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { rho } from "./capture.js";

const dir = mkdtempSync(join(tmpdir(), "rho-lp-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

let workshop: string;
let infeasible: string;
let broken: string;
beforeAll(() => {
  workshop = file(
    "workshop.lp",
    `Maximize
 profit: 30 chairs + 50 tables
Subject To
 carpentry: chairs + 2 tables <= 40
 finishing: 2 chairs + tables <= 50
End
`,
  );
  infeasible = file("infeasible.lp", "Minimize\n obj: x\nSubject To\n c1: x >= 5\n c2: x <= 4\nEnd\n");
  broken = file("broken.lp", "Minimize\n obj: x\nSubject To\n c1: x + >= 5\nEnd\n");
});

describe("rho lp solve", () => {
  it.each(["highs", "glpk", "jslp"])("solves an LP file with %s", async (solver) => {
    const r = await rho("lp", "solve", workshop, "--solver", solver);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/status:\s+optimal/);
    expect(r.stdout).toMatch(/objective:\s+1100\b/);
    expect(r.stdout).toMatch(/seconds:/);
  });

  it("prints the whole result as one JSON object with primal values by name", async () => {
    const r = await rho("lp", "solve", workshop, "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.status).toBe("optimal");
    expect(j.objective).toBeCloseTo(1100, 9);
    expect(j.primal.chairs).toBeCloseTo(20, 9);
    expect(j.primal.tables).toBeCloseTo(10, 9);
    expect(j.solver).toBe("highs");
  });

  it.each(["highs", "glpk"])("solves a MILP (Generals section) with %s", async (solver) => {
    const milp = file(
      "knapsack.lp",
      "Maximize\n v: 5 a + 4 b + 3 c\nSubject To\n w: 2 a + 3 b + c <= 5\nBounds\n a <= 1\n b <= 1\n c <= 1\nGenerals\n a b c\nEnd\n",
    );
    const r = await rho("lp", "solve", milp, "--solver", solver, "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.objective).toBeCloseTo(9, 9); // a = b = 1 (weight 5), value 9; the LP relaxation gives 10.67
    expect(j.primal).toEqual({ a: 1, b: 1, c: 0 });
  });

  it("every solver takes a time limit (jslp runs in a worker thread stopped at it)", async () => {
    for (const solver of ["highs", "glpk", "jslp"]) {
      const r = await rho("lp", "solve", workshop, "--solver", solver, "--time-limit", "5", "--json");
      expect(r.code, solver).toBe(0);
      expect(JSON.parse(r.stdout).objective, solver).toBeCloseTo(1100, 9);
    }
  });

  it("exits 1 on a non-optimal status", async () => {
    const r = await rho("lp", "solve", infeasible, "--solver", "glpk");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/status:\s+infeasible/);
  });

  it.each([
    [["lp", "solve", "/nonexistent/x.lp"], /cannot read \/nonexistent\/x.lp: no such file/],
    [["lp", "solve", "BROKEN"], /broken.lp: line 4: a sign without a term/],
    [
      ["lp", "solve", "WORKSHOP", "--solver", "cplex"],
      /argument 'cplex' is invalid. Allowed choices are highs, glpk, jslp/,
    ],
    [["lp", "solve", "WORKSHOP", "--time-limit", "0x10"], /expected a positive number, got "0x10"/],
    [["lp", "solve", "WORKSHOP", "--time-limit", "-1"], /expected a positive number/],
    [["lp", "frobnicate"], /unknown command 'frobnicate'/],
  ])("bad input %j gives one clear line and exit code 2", async (args, message) => {
    const real = args.map((a) => (a === "BROKEN" ? broken : a === "WORKSHOP" ? workshop : a));
    const r = await rho(...real);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")[0]).toMatch(/error|rho:/);
  });
});

describe("the rho bin", () => {
  it("runs from the built package and exits 2 on a missing file", async () => {
    const bin = fileURLToPath(new URL("../bin/rho.js", import.meta.url));
    const run = promisify(execFile);
    const ok = await run(process.execPath, [bin, "lp", "solve", workshop, "--json"]);
    expect(JSON.parse(ok.stdout).objective).toBeCloseTo(1100, 9);
    const err = await run(process.execPath, [bin, "lp", "solve", "missing.lp"]).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr.trim()).toBe("rho: cannot read missing.lp: no such file");
  });
});
