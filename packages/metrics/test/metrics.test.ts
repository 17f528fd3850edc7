import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bootstrapMean,
  bracketShares,
  cumulativeCurve,
  normalQuantile,
  robustnessStats,
  wilson,
} from "../src/index.js";

describe("intervals", () => {
  it("normal quantiles match tables", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
  });

  it("Wilson intervals match hand-computed values", () => {
    // k = 3, n = 10, z = 1.96: centre (0.3 + 0.19208) / 1.38416, half-width 1.96·√(0.021 + 0.009604) / 1.38416
    const w = wilson(3, 10);
    expect(w.value).toBe(0.3);
    expect(w.lower).toBeCloseTo(0.10779, 4);
    expect(w.upper).toBeCloseTo(0.60322, 4);
    const none = wilson(0, 20);
    expect(none.lower).toBe(0);
    expect(none.upper).toBeCloseTo(0.16113, 4);
  });

  it("Wilson intervals contain the estimate and narrow as n grows", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const k = Math.round(f * n);
        const a = wilson(k, n);
        const b = wilson(4 * k, 4 * n);
        expect(a.lower).toBeLessThanOrEqual(a.value + 1e-12);
        expect(a.upper).toBeGreaterThanOrEqual(a.value - 1e-12);
        expect(b.upper - b.lower).toBeLessThanOrEqual(a.upper - a.lower + 1e-12);
      }),
    );
  });

  it("the bootstrap interval is reproducible, contains the mean, and collapses on a constant sample", () => {
    const xs = [1, 5, 2, 8, 3, 3, 9, 4];
    const a = bootstrapMean(xs, { seed: 7 });
    expect(bootstrapMean(xs, { seed: 7 })).toEqual(a);
    expect(a.value).toBeCloseTo(35 / 8, 12);
    expect(a.lower).toBeLessThan(a.value);
    expect(a.upper).toBeGreaterThan(a.value);
    expect(a.lower).toBeGreaterThanOrEqual(1);
    expect(a.upper).toBeLessThanOrEqual(9);
    expect(bootstrapMean([4, 4, 4])).toEqual({ value: 4, lower: 4, upper: 4 });
  });
});

describe("robustness statistics", () => {
  const outcomes = [
    { label: 1, predicted: 1, rho: 3 },
    { label: 2, predicted: 2, rho: 25 },
    { label: 3, predicted: 3, rho: null },
    { label: 4, predicted: 4, rho: 20 },
    { label: 5, predicted: 7, rho: 0 }, // misclassified: excluded, reported
    { label: 6, predicted: 6, rho: Number.POSITIVE_INFINITY },
  ];

  it("match hand-computed φ̂ and μ̂ over the correctly classified points", () => {
    const s = robustnessStats(outcomes, 20);
    expect(s.points).toBe(6);
    expect(s.correct).toBe(5);
    expect(s.misclassified).toBe(1);
    expect(s.accuracy.value).toBeCloseTo(5 / 6, 12);
    expect(s.adversarial).toBe(2); // ρ̂ = 3 and ρ̂ = 20 (ε is inclusive)
    expect(s.frequency.value).toBeCloseTo(2 / 5, 12);
    expect(s.severity.value).toBeCloseTo(11.5, 12);
    expect(robustnessStats(outcomes, 2).severity.value).toBeNaN();
  });

  it("the cumulative curve counts ρ̂ ≤ ε, never decreases, and ends at the adversarial count", () => {
    expect(cumulativeCurve(outcomes, [0, 3, 19.9, 20, 25, 1000])).toEqual([
      { eps: 0, count: 0 },
      { eps: 3, count: 1 },
      { eps: 19.9, count: 1 },
      { eps: 20, count: 2 },
      { eps: 25, count: 3 },
      { eps: 1000, count: 3 },
    ]);
  });
});

describe("failed points and attack families", () => {
  const ok = (rho: number | null) => ({
    label: 1,
    predicted: 1,
    rho,
    status: rho === null ? "not_found" : "adversarial",
  });
  it("error and timeout points are in no statistic, counted as failed; a failure never counts as robust", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: 0, max: 40, noNaN: true }), { nil: null })),
        fc.array(fc.constantFrom("error", "timeout")),
        (rhos, failures) => {
          const answered = rhos.map(ok);
          const failed = failures.map((status) => ({ label: 1, predicted: -1, rho: null, status }));
          const s = robustnessStats([...answered, ...failed], 20);
          const alone = robustnessStats(answered, 20);
          expect(s.failed).toBe(failed.length);
          expect(s.correct).toBe(alone.correct);
          expect(s.adversarial).toBe(alone.adversarial);
          expect(s.frequency).toEqual(alone.frequency);
          expect(s.misclassified).toBe(0);
          const curve = cumulativeCurve([...answered, ...failed], [20]);
          expect(curve[0]?.count).toBe(alone.adversarial);
        },
      ),
    );
  });
  it("a fixed-epsilon attack has a frequency and no severity", () => {
    const rows = [ok(20), ok(20), ok(null)];
    const s = robustnessStats(rows, 20, { family: "fixed-epsilon" });
    expect(s.adversarial).toBe(2);
    expect(s.frequency.value).toBeCloseTo(2 / 3, 12);
    expect(s.severity.value).toBeNaN();
    expect(robustnessStats(rows, 20).severity.value).toBe(20);
  });
});

describe("the bracket at ε", () => {
  it("certified, proven non-robust and unknown shares split the correctly classified points", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .tuple(
              fc.double({ min: 0, max: 30, noNaN: true }),
              fc.option(fc.double({ min: 0, max: 30, noNaN: true })),
              fc.boolean(),
            )
            .map(([lower, up, wrong]) => ({
              label: 1,
              predicted: wrong ? 2 : 1,
              lower,
              // a sound bracket: the verified distance is never below the certified radius
              upper: up === null ? null : Math.max(lower, up),
            })),
        ),
        fc.double({ min: 0, max: 30, noNaN: true }),
        (points, eps) => {
          const s = bracketShares(points, eps);
          const correct = points.filter((p) => p.predicted === p.label);
          expect(s.correct).toBe(correct.length);
          if (correct.length === 0) return;
          expect(s.certified.value * correct.length).toBeCloseTo(
            correct.filter((p) => p.lower > eps).length,
            9,
          );
          expect(s.certified.value + s.nonRobust.value + s.unknown.value).toBeCloseTo(1, 12);
          expect(s.conflicting).toBe(0);
        },
      ),
    );
  });

  it("shares stay in [0, 1] and add up to one whatever the rows say (unsound bounds, NaN, ∞)", () => {
    const num = fc.oneof(
      fc.double({ min: 0, max: 30, noNaN: true }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 0, 20),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            label: fc.constant(1),
            predicted: fc.constantFrom(1, 2, -1),
            lower: num,
            upper: fc.option(num),
          }),
        ),
        fc.double({ min: 0, max: 30, noNaN: true }),
        (points, eps) => {
          const s = bracketShares(points, eps);
          if (s.correct === 0) return;
          for (const e of [s.certified, s.nonRobust, s.unknown]) {
            expect(e.value).toBeGreaterThanOrEqual(0);
            expect(e.value).toBeLessThanOrEqual(1);
            expect(e.lower).toBeGreaterThanOrEqual(0);
            expect(e.upper).toBeLessThanOrEqual(1);
          }
          expect(s.certified.value + s.nonRobust.value + s.unknown.value).toBeCloseTo(1, 12);
          const contradictions = points.filter(
            (p) => p.predicted === p.label && p.lower > eps && p.upper !== null && p.upper <= eps,
          ).length;
          expect(s.conflicting).toBe(contradictions);
        },
      ),
    );
  });

  it("a verified example inside a certified radius is non-robust and flagged, not counted twice", () => {
    const s = bracketShares([{ label: 1, predicted: 1, lower: 1.359, upper: 0.859 }], 1);
    expect(s.nonRobust.value).toBe(1);
    expect(s.certified.value).toBe(0);
    expect(s.unknown.value).toBe(0);
    expect(s.conflicting).toBe(1);
  });
});
