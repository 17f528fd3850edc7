// The random cases α- and β-CROWN's tests share: a small two-hidden-layer network, a box of side 2
// and a row over its three outputs.
import { arbTwoHidden } from "@rho/models/testing";
import fc from "fast-check";
import type { Interval } from "../src/index.js";

export const arbCase = fc.record({
  net: arbTwoHidden(4, 3, 8),
  corner: fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 4, maxLength: 4 }),
  row: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 3, maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

export const boxAt = (corner: number[]): Interval => ({
  lo: Float64Array.from(corner, (c) => c / 10),
  hi: Float64Array.from(corner, (c) => c / 10 + 2),
});
