// CROWN's pixel-space functions hold pointwise: with any per-unit lower slopes in [0, 1], over a
// box or over one side of a ReLU split, rows·z(p) ≥ coef·p + constant at every sampled input p of
// that domain (branch and bound's bounds and its slope choices rest on this).
import { prng } from "@rho/models";
import { arbTwoHidden } from "@rho/models/testing";
import fc from "fast-check";
import { expect, it } from "vitest";
import { crownBounds, type Interval, linearLowerBounds, reluInputs, splitBounds } from "../src/index.js";

it("holds at every sampled input of the box, and of a split's side, for any slopes in [0, 1]", () => {
  let checked = 0;
  fc.assert(
    fc.property(
      arbTwoHidden(3, 2),
      fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 3, maxLength: 3 }),
      fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -5, max: 5 })),
      fc.integer({ min: 0, max: 1 << 30 }),
      fc.boolean(),
      (net, corner, [a, b], seed, active) => {
        const box: Interval = {
          lo: Float64Array.from(corner, (c) => c / 10),
          hi: Float64Array.from(corner, (c) => c / 10 + 1),
        };
        const rand = prng(seed);
        // one slope per unit, fixed for this case
        const slopes = new Map<string, number>();
        const slope = (_l: number, _u: number, unit: number, layer: number) => {
          const key = `${layer}:${unit}`;
          if (!slopes.has(key)) slopes.set(key, rand() < 0.3 ? Math.round(rand()) : rand());
          return slopes.get(key) as number;
        };
        const { bounds } = crownBounds(net, box);
        const relu = reluInputs(net)[seed % 2] as { value: number };
        const side = splitBounds(net, bounds, { value: relu.value, unit: 0, active });
        const row = Float64Array.from([a, b]);
        const whole = linearLowerBounds(net, bounds, net.layers.length, [row], box, slope);
        const split = side && linearLowerBounds(net, side, net.layers.length, [row], box, slope);
        const at = (f: typeof whole, p: Float64Array) =>
          (f.constant[0] as number) +
          (f.coef[0] as Float64Array).reduce((t, c, q) => t + c * (p[q] as number), 0);
        for (let s = 0; s < 100; s++) {
          const p = Float64Array.from(box.lo, (l) => l + rand());
          const { logits, activations } = net.forward64(p);
          const y = a * (logits[0] as number) + b * (logits[1] as number);
          expect(at(whole, p)).toBeLessThanOrEqual(y);
          const z = (activations[relu.value] as Float64Array)[0] as number;
          if (active ? z >= 0 : z <= 0) {
            expect(split, "a side with an input in it was called empty").toBeDefined();
            if (split) expect(at(split, p)).toBeLessThanOrEqual(y);
          }
          checked++;
        }
      },
    ),
    { numRuns: 200 },
  );
  expect(checked).toBe(20_000);
});
