import { beforeAll, describe, expect, it } from "vitest";
import { rho } from "./capture.js";
import { linearModel } from "./fixtures.js";

describe("rho bound", () => {
  let model: string;
  beforeAll(async () => {
    model = await linearModel();
  });

  it("prints a certified lower bound in pixels, never above a verified attack's ρ̂", async () => {
    for (const index of ["0", "2", "3"]) {
      const r = await rho("bound", "--model", model, "--index", index, "--method", "ibp", "--json");
      expect(r.code).toBe(0);
      const b = JSON.parse(r.stdout);
      expect(b).toMatchObject({ method: "ibp", upper: null, status: "bracket" });
      expect(b.lower).toBeGreaterThan(0);
      expect(b.seconds).toBeGreaterThanOrEqual(0);
      const a = JSON.parse(
        (await rho("attack", "--model", model, "--index", index, "--attack", "alp", "--json")).stdout,
      );
      // on a linear model ALP's ρ̂ is exact: IBP's bound sits below it
      if (a.status === "adversarial") expect(b.lower).toBeLessThanOrEqual(a.rho);
    }
  });

  it("a misclassified point has ρ = 0", async () => {
    const r = await rho("bound", "--model", model, "--index", "1", "--json");
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "misclassified", lower: 0, upper: 0 });
  });

  it("says certified_beyond when the whole --eps-max ball is certified", async () => {
    const r = await rho("bound", "--model", model, "--index", "0", "--eps-max", "0.001", "--json");
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "certified_beyond", lower: 0.001 });
  });

  it("refuses bad input with one line and exit 2", async () => {
    for (const [args, message] of [
      [["--index", "70000"], /--index 70000 is not in 0..9999/],
      [["--index", "0", "--method", "nope"], /argument 'nope' is invalid/],
      [["--index", "0", "--eps-max", "0x10"], /got "0x10"/],
    ] as const) {
      const r = await rho("bound", "--model", model, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
