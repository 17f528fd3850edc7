// CROWN's float32 rounding terms are kept per layer and updated for an interval inside a kept one
// (branch and bound's domains) by the units that differ, never taken as they are from a wider
// one. A box's bounds are the same computed first, or after a much wider box's (whose intervals
// contain its own): an earlier, wider box must not loosen them (it did: 256×6 prop_4_0.05 was no
// longer proved by CROWN once other properties had run before it).
import { arbTwoHidden } from "@rho/models/testing";
import fc from "fast-check";
import { expect, it } from "vitest";
import { crownBounds, type Interval } from "../src/index.js";

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
        const near = (a: Float64Array, b: Float64Array, what: string) => {
          a.forEach((v, i) => {
            expect(Math.abs(v - (b[i] as number)), what).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(v)));
          });
        };
        again.forEach((b, k) => {
          near(b.lo, (first[k] as Interval).lo, `layer ${k} lower`);
          near(b.hi, (first[k] as Interval).hi, `layer ${k} upper`);
        });
      },
    ),
  );
});
