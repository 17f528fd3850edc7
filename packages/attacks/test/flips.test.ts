import { prng, useBackend } from "@rho/models";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { facetDistance, stepAcross } from "../src/flips.js";
import { type AttackResult, alpWalk } from "../src/index.js";
import { convNetwork, GRID_STEP, gridCases } from "../src/testing/index.js";

beforeAll(async () => {
  await useBackend("cpu");
});

const box = [0, 255] as const;
const arbCase = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.record({
    x: fc.array(fc.double({ min: 0, max: 255, noNaN: true }), { minLength: n, maxLength: n }),
    a: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
    c: fc.double({ min: -500, max: 500, noNaN: true }),
  }),
);
const form = (a: number[], c: number) => ({
  indices: Int32Array.from(a, (_, i) => i),
  values: Float64Array.from(a),
  constant: c,
});
const valueAt = (a: number[], c: number, x: ArrayLike<number>) =>
  a.reduce((s, ai, i) => s + ai * (x[i] as number), c);

describe("a facet's L∞ distance inside the box", () => {
  it("is the least step at which the form's minimum over ball ∩ box reaches zero (bisection agrees)", () => {
    fc.assert(
      fc.property(arbCase, ({ x, a, c }) => {
        const xs = Float64Array.from(x);
        const v = valueAt(a, c, xs);
        fc.pre(v > 1e-6);
        const f = form(a, c);
        const d = facetDistance(f, xs, box);
        // the minimiser of a linear form over ball ∩ box moves each coordinate independently
        const minAt = (s: number) => valueAt(a, c, stepAcross(f, xs, box, s));
        const scale = Math.abs(c) + a.reduce((s, ai, i) => s + Math.abs(ai * (x[i] as number)), 0) + 1;
        // the form's least value over the box: the facet is in reach iff it is negative (cases
        // where it is zero to rounding are left out: either answer is right there)
        const corner = minAt(255);
        fc.pre(Math.abs(corner) > 1e-9 * scale);
        expect(Number.isFinite(d)).toBe(corner < 0);
        if (!Number.isFinite(d)) return;
        let lo = 0;
        let hi = 255;
        for (let k = 0; k < 80; k++) {
          const mid = (lo + hi) / 2;
          if (minAt(mid) > 0) lo = mid;
          else hi = mid;
        }
        expect(d).toBeCloseTo(hi, 6);
        expect(Math.abs(minAt(d))).toBeLessThan(1e-9 * scale);
        for (const p of stepAcross(f, xs, box, d * 1.5)) expect(p >= 0 && p <= 255).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("is 0 at or past the facet", () => {
    const f = form([1, -2], -10);
    expect(facetDistance(f, Float64Array.from([4, 0]), box)).toBe(0);
  });
});

describe("descent across the nearest facets that are not tight (descentFlips)", () => {
  /** Without and with flips: the same path up to the plain descent's stop, then only lower, verified. */
  function check(plain: AttackResult, flipped: AttackResult): number {
    expect(flipped.status).toBe(plain.status);
    if (plain.status !== "adversarial") return 0;
    const d = flipped.diagnostics.descent as { rho: number[]; flips: number };
    for (let k = 1; k < d.rho.length; k++) expect(d.rho[k] as number).toBeLessThan(d.rho[k - 1] as number);
    expect(flipped.rho).toBeLessThanOrEqual(plain.rho + 1e-9);
    expect(flipped.verified?.float64).toBe(true);
    expect(flipped.verified?.float32).toBe(true);
    if (d.flips === 0) expect(flipped.rho).toBeCloseTo(plain.rho, 9);
    return d.flips > 0 ? 1 - flipped.rho / plain.rho : -1;
  }

  it("on small LeNet-like networks: never above plain descent, verified, and it lowers ρ̂ on some", async () => {
    const gains: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const net = convNetwork(seed);
      const rand = prng(500 + seed);
      const px = Array.from({ length: 64 }, () => Math.floor(rand() * 256));
      const label = net.predict64(px);
      const plain = await alpWalk.run({ net }, { pixels: px, label }, { descentFlips: 0 });
      const flipped = await alpWalk.run({ net }, { pixels: px, label }, { descentFlips: 4 });
      gains.push(check(plain, flipped));
    }
    const moved = gains.filter((g) => g > 0);
    console.info(
      `flips on ${gains.length} LeNet-like points: ${moved.length} lowered ρ̂, by ${(
        (100 * moved.reduce((s, g) => s + g, 0)) / Math.max(1, moved.length)
      ).toFixed(2)} % on average`,
    );
    expect(moved.length).toBeGreaterThan(0);
  }, 300_000);

  it("on 2-D ReLU networks: never below the grid's true ρ, never above plain descent", async () => {
    let cases = 0;
    for (const c of gridCases()) {
      if (!Number.isFinite(c.truth)) continue;
      const plain = await alpWalk.run({ net: c.net }, { pixels: c.px, label: c.label }, { descentFlips: 0 });
      const flipped = await alpWalk.run(
        { net: c.net },
        { pixels: c.px, label: c.label },
        { descentFlips: 4 },
      );
      check(plain, flipped);
      if (flipped.status === "adversarial") {
        expect(flipped.rho).toBeGreaterThanOrEqual(c.truth - GRID_STEP - 1e-9);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(10);
  }, 300_000);
});
