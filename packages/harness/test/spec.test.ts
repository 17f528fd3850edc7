// A run's recorded configuration against a resumed one: the same options in another key order
// (`--opt` puts its keys first) are the same run, and an attack added to them is an addition.
import { describe, expect, it } from "vitest";
import { type AttackConfig, addsAttacks, type RunSpec, specDifferences } from "../src/eval/spec.js";

const alp = (options: Record<string, unknown>): AttackConfig => ({
  name: "alp",
  family: "minimum-distance",
  options,
});
const spec = (attacks: AttackConfig[]): RunSpec => ({
  rho: "0.2.0",
  model: { path: "m", sha256: "a" },
  dataset: { name: "mnist", split: "test", sha256: "b" },
  attacks,
  target: "second",
  eps: 20,
  points: [0, 1],
  pointsRequested: 2,
  sample: null,
  shard: null,
});

describe("run specs", () => {
  const recorded = spec([alp({ target: "second", margin: 0.001, descent: false })]);
  const reordered = alp({ descent: false, target: "second", margin: 0.001 });
  const fgsm: AttackConfig = { name: "fgsm", family: "fixed-epsilon", options: { eps: 20 } };

  it("options in another key order are the same options", () => {
    expect(specDifferences(recorded, spec([reordered]))).toEqual([]);
    expect(addsAttacks(recorded, spec([reordered, fgsm]))).toBe(true);
  });

  it("another value is another run, in any order", () => {
    const changed = alp({ descent: true, target: "second", margin: 0.001 });
    expect(specDifferences(recorded, spec([changed]))).toHaveLength(1);
    expect(addsAttacks(recorded, spec([changed, fgsm]))).toBe(false);
  });
});
