import { argmax, Network, prng, rawPixels, useBackend } from "@rho/models";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { arbNetwork, arbPixels } from "../../models/test/arbitraries.js";
import { alpPgd, linf, pgd } from "../src/index.js";

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

  it("on 2-D ReLU networks is never below the true ρ of a dense grid", async () => {
    let found = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rand = prng(seed);
      const w = (n: number, s: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s);
      const net = new Network({
        inputShape: [2],
        preprocess: rawPixels(1),
        layers: [
          { kind: "dense", units: 8, weights: w(16, 0.1), bias: w(8, 5) },
          { kind: "relu" },
          { kind: "dense", units: 3, weights: w(24, 1), bias: w(3, 1) },
        ],
      });
      const px = [40 + Math.floor(rand() * 175), 40 + Math.floor(rand() * 175)];
      const label = argmax(net.forward64(px).logits);
      const a = await alpPgd.run({ net }, { pixels: px, label });
      if (a.status !== "adversarial") continue;
      found++;
      // the grid, h = 0.25 apart, within ρ̂ of x*: none closer than ρ̂ − h may have another label
      const h = 0.25;
      for (let da = -a.rho; da <= a.rho; da += h)
        for (let db = -a.rho; db <= a.rho; db += h) {
          const x = [(px[0] as number) + da, (px[1] as number) + db];
          if (Math.max(Math.abs(da), Math.abs(db)) < a.rho - h && x.every((v) => v >= 0 && v <= 255))
            if (net.predict64(x) !== label) expect.fail(`seed ${seed}: ${x} is closer than ρ̂ = ${a.rho}`);
        }
    }
    expect(found).toBeGreaterThan(5);
  }, 120_000);
});
