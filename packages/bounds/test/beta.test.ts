// β-CROWN's split multipliers: the gradient the ascent follows is the bound's (finite differences
// agree), and on a branch-and-bound domain the bound with β optimised holds at every sampled input
// of that domain, is never below the domain's plain CROWN bound, and beats α alone on some.
import { prng } from "@rho/models";
import fc from "fast-check";
import { expect, it } from "vitest";
import {
  alphaLowerBound,
  crownBounds,
  type Interval,
  lowerBounds,
  reluInputs,
  type SplitConstraint,
  splitBounds,
} from "../src/index.js";
import { boundAndGradient, splitKey } from "../src/linear/alpha.js";
import { arbCase, boxAt } from "./cases.js";

type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;

/** Every unstable ReLU input of these bounds, as (value, unit). */
const unstable = (net: Parameters<typeof reluInputs>[0], bounds: readonly Interval[]) =>
  reluInputs(net).flatMap(({ value }) => {
    const b = bounds[value] as Interval;
    return Array.from(b.lo.keys())
      .filter((i) => (b.lo[i] as number) < 0 && (b.hi[i] as number) > 0)
      .map((unit) => ({ value, unit }));
  });

it("follows the bound's gradient in β: finite differences in each multiplier agree", () => {
  let compared = 0;
  fc.assert(
    fc.property(arbCase, ({ net, corner, row, seed }) => {
      const box = boxAt(corner);
      const { bounds } = crownBounds(net, box);
      const rand = prng(seed);
      const splits: SplitConstraint[] = unstable(net, bounds).map((s) => ({
        ...s,
        sign: rand() < 0.5 ? 1 : -1,
      }));
      if (!splits.length) return;
      const alpha = new Map(
        net.layers.flatMap((l, i) =>
          l.kind === "relu"
            ? [[i, Float64Array.from((bounds[i] as Interval).lo, () => 0.1 + 0.8 * rand())] as const]
            : [],
        ),
      );
      const beta = Float64Array.from(splits, () => 0.05 + rand());
      const L = net.layers.length;
      const r = Float64Array.from(row);
      const base = boundAndGradient(net, bounds, L, r, box, alpha, splits, beta);
      const h = 1e-6;
      base.betaGrad.forEach((g, j) => {
        const keep = beta[j] as number;
        beta[j] = keep + h;
        const up = boundAndGradient(net, bounds, L, r, box, alpha, splits, beta).value;
        beta[j] = keep - h;
        const down = boundAndGradient(net, bounds, L, r, box, alpha, splits, beta).value;
        beta[j] = keep;
        // piecewise linear: one side's difference equals the gradient unless a kink lies within h
        const sides = [(up - base.value) / h, (base.value - down) / h];
        const tol = 1e-3 * (1 + Math.abs(g));
        expect(sides.some((d) => Math.abs(d - g) <= tol)).toBe(true);
        compared++;
      });
    }),
    { numRuns: 150 },
  );
  expect(compared).toBeGreaterThan(100);
});

/** A random case's box split on its deepest unstable unit (the split that reaches the most below it). */
function splitCase({ net, corner, row, seed }: Case, active: boolean) {
  const box = boxAt(corner);
  const { bounds } = crownBounds(net, box);
  const pick = unstable(net, bounds).at(-1);
  if (!pick) return undefined;
  const domain = splitBounds(net, bounds, { ...pick, active });
  if (!domain) return undefined;
  const splits: SplitConstraint[] = [{ ...pick, sign: active ? 1 : -1 }];
  const r = Float64Array.from(row);
  const rand = prng(seed);
  /** Checks `bound` ≤ row·logits at up to n random inputs of the domain; returns how many were in it. */
  const holdsAt = (bound: number, n: number) => {
    let inside = 0;
    for (let s = 0; s < n; s++) {
      const p = Float64Array.from(box.lo, (l) => l + 2 * rand());
      const { activations, logits } = net.forward64(p);
      const z = (activations[pick.value] as Float64Array)[pick.unit] as number;
      if (active ? z < 0 : z > 0) continue; // outside the domain
      expect(bound).toBeLessThanOrEqual(r.reduce((t, c, j) => t + c * (logits[j] as number), 0));
      inside++;
    }
    return inside;
  };
  return { box, domain, splits, pick, r, rand, L: net.layers.length, holdsAt };
}

it("on a split domain: sound at its sampled inputs, never below plain CROWN, above α alone on some", () => {
  let above = 0;
  let checked = 0;
  fc.assert(
    fc.property(arbCase, fc.boolean(), (c, active) => {
      const s = splitCase(c, active);
      if (!s) return;
      const { box, domain, splits, r, L } = s;
      const plain = lowerBounds(c.net, domain, L, [Float64Array.from(r)], box)[0] as number;
      const alphaOnly = alphaLowerBound(c.net, domain, L, r, box, { iterations: 30 }).value;
      const withBeta = alphaLowerBound(c.net, domain, L, r, box, { iterations: 30, splits }).value;
      expect(withBeta).toBeGreaterThanOrEqual(plain);
      if (withBeta > alphaOnly + 1e-9 * (1 + Math.abs(alphaOnly))) above++;
      checked += s.holdsAt(withBeta, 400);
    }),
    { numRuns: 200 },
  );
  console.info(
    `β-CROWN above α-CROWN alone on ${above} of 200 random split domains (${checked} inputs checked)`,
  );
  expect(checked).toBeGreaterThan(1000);
  expect(above).toBeGreaterThan(0);
});

it("starts where it is told: from a bound's own slopes and multipliers its first step is that bound, and from any it stays sound", () => {
  let resumed = 0;
  let checked = 0;
  fc.assert(
    fc.property(arbCase, fc.boolean(), (c, active) => {
      const s = splitCase(c, active);
      if (!s) return;
      const { box, domain, splits, r, L } = s;
      const long = alphaLowerBound(c.net, domain, L, r, box, { iterations: 30, splits });
      if (!long.state) throw new Error("30 steps taken, no state returned");
      const tol = 1e-9 * (1 + Math.abs(long.value));
      const again = alphaLowerBound(c.net, domain, L, r, box, { iterations: 1, splits, warm: long.state });
      expect(again.value).toBeGreaterThanOrEqual(long.value - tol);
      const cold = alphaLowerBound(c.net, domain, L, r, box, { iterations: 1, splits });
      if (long.value > cold.value + tol) resumed++;
      // any slopes in [0, 1] and multipliers ≥ 0 give a sound bound (a key of no split is ignored)
      const alpha = new Map(
        [...long.state.alpha].map(([layer, a]) => [layer, Float64Array.from(a, () => s.rand())] as const),
      );
      const beta = new Map([
        [splitKey(s.pick), 3 * s.rand()],
        ["-1:0", 5],
      ]);
      const any = alphaLowerBound(c.net, domain, L, r, box, { iterations: 3, splits, warm: { alpha, beta } });
      checked += s.holdsAt(any.value, 200);
    }),
    { numRuns: 150 },
  );
  expect(resumed).toBeGreaterThan(0);
  expect(checked).toBeGreaterThan(500);
});
