import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { rho } from "./capture.js";
import { linearModel } from "./fixtures.js";

const rows = (dir: string) =>
  readFileSync(join(dir, "results.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe("rho eval --bounds: the bracket beside the attacks", () => {
  let model: string;
  const out = () => join(mkdtempSync(join(tmpdir(), "rho-bounds-")), "run");
  const args = (dir: string, ...extra: string[]) => [
    "eval",
    "--model",
    model,
    "--attacks",
    "alp,lbfgs",
    "--bounds",
    "ibp,crown",
    "--points",
    "6",
    "--eps",
    "10",
    "--workers",
    "1",
    "--backend",
    "cpu",
    "--out",
    dir,
    ...extra,
  ];
  beforeAll(async () => {
    model = await linearModel();
  });

  it("keeps ρ_lb per point and method, never above a verified attack's ρ̂, and the shares add up", async () => {
    const dir = out();
    const r = await rho(...args(dir), "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    // the bound methods are not attacks: no frequency of theirs in the summary
    expect(j.summary.map((s: { attack: string }) => s.attack)).toEqual(["alp", "lbfgs"]);
    expect(j.spec.attacks.map((a: { family: string }) => a.family)).toEqual([
      "minimum-distance",
      "minimum-distance",
      "bound",
      "bound",
    ]);
    const all = rows(dir);
    expect(all).toHaveLength(6 * 4);
    let certified = 0;
    let nonRobust = 0;
    let correct = 0;
    for (let index = 0; index < 6; index++) {
      const mine = all.filter((x) => x.index === index);
      const bounds = mine.filter((x) => x.attack === "ibp" || x.attack === "crown");
      const attacks = mine.filter((x) => x.attack === "alp" || x.attack === "lbfgs");
      if (mine[0].predicted !== mine[0].label) continue;
      correct++;
      for (const b of bounds) {
        expect(b.lower).toBeGreaterThanOrEqual(0);
        for (const a of attacks) if (a.status === "adversarial") expect(b.lower).toBeLessThanOrEqual(a.rho);
      }
      const crown = bounds.find((b) => b.attack === "crown");
      const ibp = bounds.find((b) => b.attack === "ibp");
      expect(crown.lower).toBeGreaterThanOrEqual(ibp.lower - 0.01);
      const lower = Math.max(...bounds.map((b) => b.lower));
      const upper = Math.min(...attacks.filter((a) => a.status === "adversarial").map((a) => a.rho));
      if (lower > 10) certified++;
      if (upper <= 10) nonRobust++;
    }
    expect(j.bracket.correct).toBe(correct);
    expect(j.bracket.certified.value).toBeCloseTo(certified / correct, 12);
    expect(j.bracket.nonRobust.value).toBeCloseTo(nonRobust / correct, 12);
    expect(j.bracket.certified.value + j.bracket.nonRobust.value + j.bracket.unknown.value).toBeCloseTo(
      1,
      12,
    );
  });

  it("resumes, refuses other bound methods, and Table 1 gains the bracket's columns", async () => {
    const dir = out();
    expect((await rho(...args(dir))).code).toBe(0);
    const again = await rho(...args(dir, "--resume"));
    expect(again.code).toBe(0);
    expect(rows(dir)).toHaveLength(24);
    const other = await rho(...args(dir, "--resume").map((x) => (x === "ibp,crown" ? "ibp" : x)));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a different run \(attacks \(alp,lbfgs,ibp,crown vs alp,lbfgs,ibp\)/);
    const report = await rho("report", dir, "--out", join(dir, "..", "report"));
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/\| certified robust \| proven non-robust \| unknown \|/);
    // Figure 3: in each attack's panel the not-certified curve (ρ_lb ≤ ε) lies on or above the attack's (ρ̂ ≤ ε)
    const spec = JSON.parse(readFileSync(join(dir, "..", "report", "figure3.vl.json"), "utf8"));
    const values = spec.data.values as { attack: string; eps: number; count: number; kind: string }[];
    for (const attack of ["alp", "lbfgs"]) {
      const at = (kind: string, eps: number) =>
        values.filter((v) => v.attack === attack && v.kind === kind && v.eps <= eps).at(-1)?.count ?? 0;
      expect(values.some((v) => v.attack === attack && v.kind === "ρ_lb ≤ ε")).toBe(true);
      for (const v of values.filter((x) => x.attack === attack))
        expect(at("ρ_lb ≤ ε", v.eps)).toBeGreaterThanOrEqual(at("ρ̂ ≤ ε", v.eps));
    }
    const bad = await rho(...args(out()).map((x) => (x === "ibp,crown" ? "ibp,nope" : x)));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown bound method "nope"; known: ibp, crown, milp/);
  });
});

describe("rho report: each attack's gap to exact ρ", () => {
  it("from the MILP's exact ρ: on a linear model ALP's LP over all targets is exact, lbfgs is not below it", async () => {
    const model = await linearModel();
    const dir = join(mkdtempSync(join(tmpdir(), "rho-gaps-")), "run");
    const r = await rho(
      "eval",
      "--model",
      model,
      "--attacks",
      "alp,lbfgs",
      "--bounds",
      "milp",
      "--bound-eps-max",
      "64",
      "--target",
      "all",
      "--points",
      "4",
      "--workers",
      "1",
      "--backend",
      "cpu",
      "--out",
      dir,
    );
    expect(r.code).toBe(0);
    const exact = rows(dir).filter((x) => x.attack === "milp" && x.status === "exact");
    expect(exact.length).toBeGreaterThan(0);
    const report = await rho("report", dir, "--out", join(dir, "..", "report"), "--json");
    expect(report.code).toBe(0);
    const gaps = JSON.parse(report.stdout).gaps as {
      attack: string;
      medianRatio: number;
      within1pct: number;
      compared: number;
    }[];
    const alp = gaps.find((g) => g.attack === "alp");
    expect(alp?.compared).toBeGreaterThan(0);
    // the margin of 1e-3 logits puts ALP's example a hair past the boundary: within 1 % of ρ
    expect(alp?.within1pct).toBe(alp?.compared);
    for (const g of gaps) expect(g.medianRatio).toBeGreaterThanOrEqual(1 - 1e-3);
    expect(readFileSync(join(dir, "..", "report", "gaps.md"), "utf8")).toMatch(/\| alp \|/);
  }, 120_000);
});
