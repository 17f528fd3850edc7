import { prng, useBackend } from "@rho/models";
import { beforeAll, describe, expect, it } from "vitest";
import { type AttackResult, alpWalk } from "../src/index.js";
import { convNetwork, GRID_STEP, gridCases } from "../src/testing/index.js";

beforeAll(async () => {
  await useBackend("cpu");
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
