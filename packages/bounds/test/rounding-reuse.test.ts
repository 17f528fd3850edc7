// CROWN's float32 rounding terms are kept per layer and updated for an interval inside a kept one
// (branch and bound's domains) by the units that differ, never taken as they are from a wider
// one. A box's bounds are the same computed first, or after a much wider box's (whose intervals
// contain its own): an earlier, wider box must not loosen them (it did: 256×6 prop_4_0.05 was no
// longer proved by CROWN once other properties had run before it).
import { Network } from "@rho/models";
import { arbTwoHidden } from "@rho/models/testing";
import fc from "fast-check";
import { expect, it } from "vitest";
import { crownBounds, type Interval, linearLowerBounds, splitBounds } from "../src/index.js";

/** |a − b| within 1e-10 of b's size, entry by entry. */
const near = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  for (let i = 0; i < a.length; i++)
    expect(Math.abs((a[i] as number) - (b[i] as number)), what).toBeLessThanOrEqual(
      1e-10 * (1 + Math.abs(b[i] as number)),
    );
};

it("a box's bounds do not depend on a wider box bounded before it", () => {
  fc.assert(
    fc.property(
      arbTwoHidden(4, 3),
      fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 4, maxLength: 4 }),
      (net, corner) => {
        const box = (r: number): Interval => ({
          lo: Float64Array.from(corner, (c) => c / 10 - r),
          hi: Float64Array.from(corner, (c) => c / 10 + r),
        });
        const first = crownBounds(net, box(0.5)).bounds;
        crownBounds(net, box(40));
        const again = crownBounds(net, box(0.5)).bounds;
        // the same up to the 1e-12 an updated rounding term adds (a wider box's taken as it
        // is loosens them by some 1e-6 here)
        again.forEach((b, k) => {
          near(b.lo, (first[k] as Interval).lo, `layer ${k} lower`);
          near(b.hi, (first[k] as Interval).hi, `layer ${k} upper`);
        });
      },
    ),
  );
});

it("on a split's side, a rounding term updated from the box's is the one computed afresh", () => {
  let updated = 0;
  fc.assert(
    fc.property(
      // hidden layers of 4 or more units: a term is updated where at most a quarter of them differ
      arbTwoHidden(4, 3, 8).filter((net) => {
        const l = net.layers[0];
        return l?.kind === "dense" && l.units >= 4;
      }),
      fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 4, maxLength: 4 }),
      (net, corner) => {
        const box: Interval = {
          lo: Float64Array.from(corner, (c) => c / 10 - 1),
          hi: Float64Array.from(corner, (c) => c / 10 + 1),
        };
        // the same network with layers of its own: its terms start from nothing
        const twin = new Network({
          inputShape: net.inputShape,
          preprocess: net.preprocess,
          layers: net.layers.map((l) => ({ ...l })),
        });
        const root = crownBounds(net, box).bounds;
        const first = root[1] as Interval;
        const unit = first.lo.findIndex((l, i) => l < 0 && (first.hi[i] as number) > 0);
        if (unit < 0) return;
        // the inactive side: the unit's ReLU output drops to [0, 0], one input of the next layer
        const side = splitBounds(net, root, { value: 1, unit, active: false });
        if (!side) return;
        const rows = [Float64Array.from({ length: 3 }, (_, j) => (j === 0 ? 1 : -0.5))];
        const kept = linearLowerBounds(net, side, net.layers.length, rows, box);
        const fresh = linearLowerBounds(twin, side, twin.layers.length, rows, box);
        near(kept.constant, fresh.constant, "constant");
        near(kept.coef[0] as Float64Array, fresh.coef[0] as Float64Array, "coefficients");
        // never tighter than afresh: the update adds to the term, it does not take from it
        expect(kept.constant[0] as number).toBeLessThanOrEqual(fresh.constant[0] as number);
        updated++;
      },
    ),
  );
  expect(updated).toBeGreaterThan(10);
});
