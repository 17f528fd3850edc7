// A ReLU split's bounds hold for every input on its side: sampled points of the box whose value at
// the split unit has the split's sign lie, layer by layer, inside the bounds splitBounds gives, and
// inside those refineBounds recomputes above the split (never looser, tighter on some).
import { prng } from "@rho/models";
import { arbTwoHidden } from "@rho/models/testing";
import fc from "fast-check";
import { expect, it } from "vitest";
import { crownBounds, type Interval, refineBounds, reluInputs, splitBounds } from "../src/index.js";

const arbNet = arbTwoHidden(3, 2);

it("every sampled input on a split's side lies inside its bounds; an empty side has none", () => {
  let checked = 0;
  fc.assert(
    fc.property(
      arbNet,
      fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 3, maxLength: 3 }),
      fc.nat(),
      fc.nat(),
      fc.boolean(),
      fc.integer({ min: 0, max: 1 << 30 }),
      (net, corner, which, unit, active, seed) => {
        const box: Interval = {
          lo: Float64Array.from(corner, (c) => c / 10),
          hi: Float64Array.from(corner, (c) => c / 10 + 1),
        };
        const { bounds } = crownBounds(net, box);
        const relus = reluInputs(net);
        const { value } = relus[which % relus.length] as (typeof relus)[number];
        const split = { value, unit: unit % (bounds[value] as Interval).lo.length, active };
        // a second split on the first's side: bounds above a split are split again
        const first = splitBounds(net, bounds, split);
        const other = relus[(which + 1) % relus.length] as (typeof relus)[number];
        const second = first && splitBounds(net, first, { value: other.value, unit: 0, active: !active });
        const rand = prng(seed);
        for (let s = 0; s < 200; s++) {
          const x = Float64Array.from(box.lo, (l) => l + rand());
          const acts = net.forward64(x).activations;
          const side = (v: number, a: boolean) => (a ? v >= 0 : v <= 0);
          if (!side((acts[split.value] as Float64Array)[split.unit] as number, active)) continue;
          expect(first, "a side with an input in it was called empty").toBeDefined();
          const inside = (b: readonly Interval[]) =>
            acts.every((v, k) =>
              v.every(
                (z, i) =>
                  z >= ((b[k] as Interval).lo[i] as number) && z <= ((b[k] as Interval).hi[i] as number),
              ),
            );
          expect(inside(first as Interval[])).toBe(true);
          checked++;
          if (side((acts[other.value] as Float64Array)[0] as number, !active)) {
            expect(second).toBeDefined();
            expect(inside(second as Interval[])).toBe(true);
          }
        }
      },
    ),
    { numRuns: 200 },
  );
  expect(checked).toBeGreaterThan(1000);
});

it("refineBounds above a split: every sampled input on its side inside, never looser, tighter on some", () => {
  let checked = 0;
  let tighter = 0;
  fc.assert(
    fc.property(
      arbNet,
      fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 3, maxLength: 3 }),
      fc.nat(),
      fc.boolean(),
      fc.integer({ min: 0, max: 1 << 30 }),
      (net, corner, unit, active, seed) => {
        const box: Interval = {
          lo: Float64Array.from(corner, (c) => c / 10),
          hi: Float64Array.from(corner, (c) => c / 10 + 1),
        };
        const { bounds } = crownBounds(net, box);
        // the first ReLU's input: the split then reaches every layer above it
        const { value } = reluInputs(net)[0] as { value: number };
        const split = { value, unit: unit % (bounds[value] as Interval).lo.length, active };
        const clipped = splitBounds(net, bounds, split);
        if (!clipped) return;
        const refined = refineBounds(net, clipped, value + 1, box);
        if (refined)
          refined.forEach((b, k) => {
            const c = clipped[k] as Interval;
            b.lo.forEach((lo, i) => {
              expect(lo).toBeGreaterThanOrEqual(c.lo[i] as number);
              expect(b.hi[i]).toBeLessThanOrEqual(c.hi[i] as number);
              if (lo > (c.lo[i] as number) + 1e-9 || (b.hi[i] as number) < (c.hi[i] as number) - 1e-9)
                tighter++;
            });
          });
        const rand = prng(seed);
        for (let s = 0; s < 200; s++) {
          const x = Float64Array.from(box.lo, (l) => l + rand());
          const acts = net.forward64(x).activations;
          const z = (acts[value] as Float64Array)[split.unit] as number;
          if (active ? z < 0 : z > 0) continue;
          expect(refined, "a side with an input in it was called empty").toBeDefined();
          acts.forEach((v, k) => {
            const b = (refined as Interval[])[k] as Interval;
            v.forEach((y, i) => {
              expect(y).toBeGreaterThanOrEqual(b.lo[i] as number);
              expect(y).toBeLessThanOrEqual(b.hi[i] as number);
            });
          });
          checked++;
        }
      },
    ),
    { numRuns: 200 },
  );
  expect(checked).toBeGreaterThan(1000);
  expect(tighter).toBeGreaterThan(0);
});
