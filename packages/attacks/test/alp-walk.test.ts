import { argmax, prng } from "@rho/models";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbNetwork, arbPixels } from "../../models/test/arbitraries.js";
import { alp, alpWalk } from "../src/index.js";
import { gridRho, toyNetwork } from "./toy.js";

const netAndPixels = arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net)));

describe("alp-walk", () => {
  it("is never worse than alp: ρ̂_walk ≤ ρ̂_alp whenever alp finds an example", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const label = net.predict64(px);
        const a = await alp.run({ net }, { pixels: px, label });
        const w = await alpWalk.run({ net }, { pixels: px, label }, { bisections: 1, maxRegions: 8 });
        const own = (w.diagnostics.perTarget as { ownRegionFeasible: boolean }[])[0];
        if (a.status === "adversarial") {
          expect(w.status).toBe("adversarial");
          expect(w.rho).toBeLessThanOrEqual(a.rho + 1e-6);
          expect(own?.ownRegionFeasible).toBe(true);
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it("on 2-D ReLU networks: never below the true ρ of a dense grid, and close to it", async () => {
    const gaps: number[] = [];
    let missed = 0;
    let reachable = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const net = toyNetwork(seed);
      const rand = prng(1000 + seed);
      const px = [40 + Math.floor(rand() * 175), 40 + Math.floor(rand() * 175)];
      const label = argmax(net.forward64(px).logits);
      const h = 0.25;
      const truth = gridRho(net, px, 32, h); // the true ρ lies in (truth − h, truth]
      const w = await alpWalk.run(
        { net },
        { pixels: px, label },
        { maxEps: 32, bisections: 3, target: "all" },
      );
      // sound: no verified example closer than the true ρ (the grid sees up to 32 pixels)
      if (w.status === "adversarial") expect(w.rho).toBeGreaterThanOrEqual(Math.min(truth, 32) - h - 1e-6);
      if (truth <= 16) {
        reachable++;
        if (w.status === "adversarial") gaps.push(w.rho - truth);
        else missed++;
      }
    }
    gaps.sort((a, b) => a - b);
    const median = gaps[gaps.length >> 1] ?? Number.NaN;
    console.log(
      `alp-walk vs grid: ${reachable} points with ρ ≤ 16, missed ${missed}, median gap ${median.toFixed(3)} px, max ${gaps.at(-1)?.toFixed(3)}`,
    );
    expect(reachable).toBeGreaterThanOrEqual(8);
    expect(missed).toBeLessThanOrEqual(reachable / 5);
    expect(median).toBeLessThan(1);
  }, 120_000);
});
