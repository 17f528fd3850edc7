import { argmax, prng, useBackend } from "@rho/models";
import { arbNetwork, arbPixels } from "@rho/models/testing";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { alpPgd, linf, pgd } from "../src/index.js";
import { gridRho, toyNetwork } from "../src/testing/index.js";

beforeAll(async () => {
  await useBackend("cpu");
});

const netAndPixels = arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net)));
const search = { maxEps: 64, steps: 10, bisections: 4 };

describe("alp-pgd", () => {
  it("lands where pgd lands and is never farther: ρ̂ ≤ the gradient example's distance", async () => {
    let both = 0;
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const label = net.predict64(px);
        const g = await pgd.run({ net }, { pixels: px, label }, search);
        const a = await alpPgd.run({ net }, { pixels: px, label }, search);
        if (g.status !== "adversarial") return;
        // the same deterministic search: the same landing point
        expect(a.diagnostics.gradientRho).toBeCloseTo(g.rho, 9);
        if (a.status === "adversarial") {
          both++;
          expect(a.rho).toBeLessThanOrEqual(g.rho + 1e-6);
          expect(a.rho).toBeCloseTo(linf(a.adversarial as Float64Array, px), 9);
          expect(a.diagnostics.lpStatus).toBe("optimal");
        } else {
          // only when the landing point's label wins by less than the margin in all its region
          expect(a.status).toBe("not_found");
          expect(a.diagnostics.lpStatus).toBe("infeasible");
        }
      }),
      { numRuns: 25 },
    );
    expect(both).toBeGreaterThan(0);
  }, 120_000);

  it("solves the landing region's LP to the same optimum over hidden variables", async () => {
    let both = 0;
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const label = net.predict64(px);
        // the landing region's LP alone: descent from either optimum (a degenerate LP's vertices differ) may part ways
        const lpOnly = { ...search, descent: false };
        const p = await alpPgd.run({ net }, { pixels: px, label }, { ...lpOnly, formulation: "pixels" });
        const h = await alpPgd.run({ net }, { pixels: px, label }, { ...lpOnly, formulation: "hidden" });
        expect(h.status).toBe(p.status);
        if (p.status === "adversarial") {
          both++;
          expect(h.rho).toBeCloseTo(p.rho, 5);
        }
      }),
      { numRuns: 25 },
    );
    expect(both).toBeGreaterThan(0);
  }, 120_000);

  it("on 2-D ReLU networks: an upper bound on the true ρ of a dense grid, and how far above it", async () => {
    const gaps: number[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const net = toyNetwork(seed);
      const rand = prng(1000 + seed);
      const px = [40 + Math.floor(rand() * 175), 40 + Math.floor(rand() * 175)];
      const label = argmax(net.forward64(px).logits);
      const a = await alpPgd.run({ net }, { pixels: px, label });
      if (a.status !== "adversarial") continue;
      const h = 0.25;
      const truth = gridRho(net, px, Math.ceil(a.rho) + 1, h); // the true ρ lies in (truth − h, truth]
      // a verified example at ρ̂: the nearest other label is no farther (up to the grid's step)
      expect(truth).toBeLessThanOrEqual(a.rho + h + 1e-9);
      gaps.push(a.rho - truth);
    }
    expect(gaps.length).toBeGreaterThan(5);
    gaps.sort((x, y) => x - y);
    console.info(
      `alp-pgd on ${gaps.length} 2-D ReLU networks: ρ̂ − grid ρ median ${gaps[gaps.length >> 1]?.toFixed(2)}, max ${gaps.at(-1)?.toFixed(2)} pixels`,
    );
  }, 120_000);
});
