// α-CROWN's steps make their working arrays in one reused buffer (linear/scratch.ts). The buffer
// hands out zeroed arrays that do not overlap while live, and a bound computed with it is the
// bound computed with fresh arrays, bit for bit, whatever ran before it.
import fc from "fast-check";
import { expect, it } from "vitest";
import { alphaLowerBound, crownBounds } from "../src/index.js";
import { boundAndGradient } from "../src/linear/alpha.js";
import { Scratch } from "../src/linear/scratch.js";
import { arbCase, boxAt } from "./cases.js";

it("hands out zeroed arrays that do not overlap while live, across growth, and reuses them after release", () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 12 }), { maxLength: 5 }),
      (rounds) => {
        const s = new Scratch();
        for (const sizes of rounds) {
          s.release();
          const live = sizes.map((n, k) => {
            const a = s.take(n);
            expect(a.length).toBe(n);
            expect(a.every((v) => v === 0)).toBe(true);
            a.fill(k + 1); // dirty it: the next round's arrays must come back zeroed
            return a;
          });
          // each array still holds what was written to it: no later one overlapped it
          live.forEach((a, k) => {
            expect(a.every((v) => v === k + 1)).toBe(true);
          });
        }
      },
    ),
    { numRuns: 100 },
  );
});

it("gives the same bound, slopes and linear function as fresh arrays, whatever was bounded before", () => {
  let compared = 0;
  fc.assert(
    fc.property(arbCase, arbCase, ({ net, corner, row }, other) => {
      const box = boxAt(corner);
      const { bounds } = crownBounds(net, box);
      const L = net.layers.length;
      const r = Float64Array.from(row);
      const first = alphaLowerBound(net, bounds, L, r, box, { iterations: 8 });
      // another network's ascent reuses (and dirties) the same buffer
      const o = crownBounds(other.net, boxAt(other.corner));
      alphaLowerBound(other.net, o.bounds, L, Float64Array.from(other.row), boxAt(other.corner), {
        iterations: 8,
      });
      const again = alphaLowerBound(net, bounds, L, r, box, { iterations: 8 });
      expect(again.value).toBe(first.value);
      expect(again.linear.coef).toEqual(first.linear.coef);
      if (!first.state) return;
      // the best step's slopes, bounded by the path that allocates every array afresh
      const fresh = boundAndGradient(net, bounds, L, r, box, first.state.alpha);
      expect(fresh.value).toBe(first.value);
      expect(fresh.linear.coef).toEqual(first.linear.coef);
      compared++;
    }),
    { numRuns: 150 },
  );
  expect(compared).toBeGreaterThan(50);
});
