import { describe, expect, it } from "vitest";
import { estimateSeconds, SECONDS_PER_POINT, secondsPerPoint } from "../src/commands/reproduce-estimate.js";

describe("rho reproduce's estimate", () => {
  it("takes each attack's most specific entry its options match", () => {
    expect(secondsPerPoint("alp-walk", { descent: true, margin: 1e-3 })).toBe(SECONDS_PER_POINT["alp-walk"]);
    expect(secondsPerPoint("alp-walk", { descent: false })).toBe(SECONDS_PER_POINT["alp-walk descent=false"]);
    expect(secondsPerPoint("lbfgs", {})).toBe(SECONDS_PER_POINT.lbfgs);
    expect(secondsPerPoint("alp", { maxEps: 32 })).toBe(SECONDS_PER_POINT.alp);
    expect(secondsPerPoint("alp", { maxEps: 255 })).toBe(SECONDS_PER_POINT["alp maxEps=255"]);
    expect(secondsPerPoint("my-attack", {})).toBe(5);
    const table = { a: 1, "a x=1": 2, "a x=1 y=b": 3, "a y=b": 4 };
    expect(secondsPerPoint("a", { x: 1, y: "b" }, table)).toBe(3);
    expect(secondsPerPoint("a", { x: 1, y: "c" }, table)).toBe(2);
    expect(secondsPerPoint("a", { x: 2, y: "b" }, table)).toBe(4);
    expect(secondsPerPoint("a", {}, table)).toBe(1);
  });

  it("adds the attacks' points, the fine-tuning and divides the attacking by the workers", () => {
    const shape = {
      finetuneAttacks: ["lbfgs", "alp-walk"],
      attacks: ["lbfgs", "alp-walk"],
      rounds: 2,
      trainPoints: 10,
      trainImages: 1000,
      testPoints: 4,
      epochs: 1,
    };
    const on = estimateSeconds(shape, () => ({ descent: true }), 2);
    const off = estimateSeconds(shape, () => ({ descent: false }), 2);
    // 5 models; per point lbfgs, alp-walk with and without descent; 4 fine-tunings of 1000 images at 500/s
    const t = SECONDS_PER_POINT;
    const lbfgs = t.lbfgs as number;
    const expected = (walk: number) =>
      (2 * 10 * (lbfgs + walk) + 5 * 4 * (lbfgs + walk)) / 2 + (4 * 1000) / 500;
    expect(on).toBeCloseTo(expected(t["alp-walk"] as number), 9);
    expect(off).toBeCloseTo(expected(t["alp-walk descent=false"] as number), 9);
    expect(off).toBeLessThan(on);
  });
});
