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
import { boundAndGradient } from "../src/linear/alpha.js";
import { arbCase, boxAt } from "./cases.js";

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

it("on a split domain: sound at its sampled inputs, never below plain CROWN, above α alone on some", () => {
  let above = 0;
  let checked = 0;
  fc.assert(
    fc.property(arbCase, fc.boolean(), ({ net, corner, row, seed }, active) => {
      const box = boxAt(corner);
      const { bounds } = crownBounds(net, box);
      const rand = prng(seed);
      // split the deepest unstable unit (the one whose constraint reaches the most below it)
      const candidates = unstable(net, bounds);
      const pick = candidates[candidates.length - 1];
      if (!pick) return;
      const domain = splitBounds(net, bounds, { ...pick, active });
      if (!domain) return;
      const splits: SplitConstraint[] = [{ ...pick, sign: active ? 1 : -1 }];
      const L = net.layers.length;
      const r = Float64Array.from(row);
      const plain = lowerBounds(net, domain, L, [Float64Array.from(r)], box)[0] as number;
      const alphaOnly = alphaLowerBound(net, domain, L, r, box, { iterations: 30 }).value;
      const withBeta = alphaLowerBound(net, domain, L, r, box, { iterations: 30, splits }).value;
      expect(withBeta).toBeGreaterThanOrEqual(plain);
      if (withBeta > alphaOnly + 1e-9 * (1 + Math.abs(alphaOnly))) above++;
      for (let s = 0; s < 400; s++) {
        const p = Float64Array.from(box.lo, (l) => l + 2 * rand());
        const { activations, logits } = net.forward64(p);
        const z = (activations[pick.value] as Float64Array)[pick.unit] as number;
        if (active ? z < 0 : z > 0) continue; // outside the domain
        const v = r.reduce((t, c, j) => t + c * (logits[j] as number), 0);
        expect(withBeta).toBeLessThanOrEqual(v);
        checked++;
      }
    }),
    { numRuns: 200 },
  );
  console.info(
    `β-CROWN above α-CROWN alone on ${above} of 200 random split domains (${checked} inputs checked)`,
  );
  expect(checked).toBeGreaterThan(1000);
  expect(above).toBeGreaterThan(0);
});
