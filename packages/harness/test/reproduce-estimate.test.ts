import { lenet, mlp, nin } from "@rho/models";
import { describe, expect, it } from "vitest";
import {
  estimateSeconds,
  LENET_PROFILE,
  NIN_PROFILE,
  piecewiseUnits,
  profileFor,
  SECONDS_PER_POINT,
  secondsPerPoint,
} from "../src/commands/reproduce-estimate.js";

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

  it("scales by the shipped model nearest the network in ReLU and max-pool outputs", () => {
    // the profiles' sizes are their architectures' (the zoo builds the shipped ones' shapes)
    expect(piecewiseUnits(lenet())).toBe(LENET_PROFILE.piecewiseUnits);
    expect(piecewiseUnits(nin())).toBe(NIN_PROFILE.piecewiseUnits);
    expect(profileFor(lenet())).toBe(LENET_PROFILE);
    expect(profileFor(mlp())).toBe(LENET_PROFILE);
    expect(profileFor(nin())).toBe(NIN_PROFILE);
    const shape = {
      finetuneAttacks: ["alp"],
      attacks: ["alp", "fgsm"],
      rounds: 1,
      trainPoints: 10,
      trainImages: 900,
      testPoints: 10,
      epochs: 1,
    };
    const t = NIN_PROFILE.secondsPerPoint;
    const expected =
      (10 * (t.alp as number) + 2 * 10 * ((t.alp as number) + (t.fgsm as number))) / 2 +
      900 / NIN_PROFILE.trainImagesPerSecond;
    expect(estimateSeconds(shape, () => ({}), 2, NIN_PROFILE)).toBeCloseTo(expected, 9);
    expect(estimateSeconds(shape, () => ({}), 2, NIN_PROFILE)).toBeGreaterThan(
      100 * estimateSeconds(shape, () => ({}), 2),
    );
  });
});
