import { argmax, Network, rawPixels } from "@rho/models";
import { arbNetwork, arbPixels } from "@rho/models/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AlpOptions, alp, DEFAULT_MARGIN } from "../src/index.js";
import { poolNetwork } from "../src/testing/index.js";
import { arbPixels2, arbWeights2, linear2 } from "./linear.js";

const netAndPixels = arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net)));

const run = (net: Network, px: number[], opts: AlpOptions = {}) =>
  alp.run({ net }, { pixels: px, label: net.predict64(px) }, opts);

describe("alp", () => {
  it("on a 3-label linear classifier never goes below the closed-form bound min_j (gap_j + margin) / ‖w_j − w_ℓ*‖₁", async () => {
    const small = fc.integer({ min: -20, max: 20 }).map((v) => v / 10);
    await fc.assert(
      fc.asyncProperty(
        fc.array(small, { minLength: 6, maxLength: 6 }),
        fc.array(small, { minLength: 3, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 2, maxLength: 2 }),
        async (w, b, px) => {
          // z = x·W + b over raw pixels, W stored [input][unit]
          const net = new Network({
            inputShape: [2],
            preprocess: rawPixels(1),
            layers: [{ kind: "dense", units: 3, weights: Float32Array.from(w), bias: Float32Array.from(b) }],
          });
          const z = net.forward64(px).logits;
          const label = argmax(z);
          const box = [-1e7, 1e7] as const; // far enough that it never binds
          // maxEps as wide as the box: the unbounded LP
          const r = await alp.run({ net }, { pixels: px, label }, { target: "all", box, maxEps: 2e7 });
          // the closest other label by the closed form
          const W = Float32Array.from(w);
          let best = Number.POSITIVE_INFINITY;
          for (let j = 0; j < 3; j++) {
            if (j === label) continue;
            const a0 = (W[j] as number) - (W[label] as number);
            const a1 = (W[3 + j] as number) - (W[3 + label] as number);
            const gap = (z[label] as number) - (z[j] as number);
            const norm = Math.abs(a0) + Math.abs(a1);
            // beating j alone takes this much; the third label may make it more (the two-label test is exact)
            if (norm > 0) best = Math.min(best, (gap + DEFAULT_MARGIN) / norm);
          }
          if (r.status === "adversarial") expect(r.rho).toBeGreaterThanOrEqual(best - 1e-6);
          if (best === Number.POSITIVE_INFINITY) expect(r.status).toBe("not_found");
        },
      ),
      { numRuns: 150 },
    );
  });

  it("on two labels finds exactly (margin + gap) / ‖w₁ − w₀‖₁", async () => {
    await fc.assert(
      fc.asyncProperty(arbWeights2, arbPixels2, async (w, px) => {
        const { net, label, gap, dw: norm } = linear2(w, px);
        const r = await alp.run({ net }, { pixels: px, label }, { box: [-1e7, 1e7], maxEps: 2e7 });
        if (norm === 0) {
          expect(r.status).toBe("not_found");
          return;
        }
        const expected = (gap + DEFAULT_MARGIN) / norm;
        expect(r.status).toBe("adversarial");
        expect(r.rho).toBeCloseTo(expected, 6);
      }),
      { numRuns: 150 },
    );
  });

  it("iterative constraint solving (seeded with the tight rows or not, any rows a round) and the full LP reach the same optimum", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const a = await run(net, px, { iterative: true });
        const b = await run(net, px, { iterative: false });
        const c = await run(net, px, { iterative: true, seed: "tight" });
        const d = await run(net, px, { iterative: true, rowsPerRound: 1 });
        for (const r of [a, c, d]) {
          expect(r.status).toBe(b.status);
          if (b.status === "adversarial") expect(r.rho).toBeCloseTo(b.rho, 5);
        }
        const used = (a.diagnostics.perTarget as { regionRowsUsed: number }[])[0]?.regionRowsUsed ?? 0;
        expect(used).toBeLessThanOrEqual(a.diagnostics.regionRows as number);
      }),
      { numRuns: 60 },
    );
  });

  it("the interior point method (lpMethod=interior) reaches the simplex's optimum; a solver without one is named", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const a = await run(net, px, { lpMethod: "simplex" });
        const b = await run(net, px, { lpMethod: "interior" });
        expect(b.status).toBe(a.status);
        if (a.status === "adversarial") expect(b.rho).toBeCloseTo(a.rho, 5);
      }),
      { numRuns: 40 },
    );
    const [net, px] = fc.sample(netAndPixels, { numRuns: 1, seed: 1 })[0] as [Network, number[]];
    // an option the chosen solver cannot honour is the run's error, as a bad option is
    await expect(run(net, px, { solver: "glpk", lpMethod: "interior" })).rejects.toThrow(
      "glpk has no interior point method",
    );
  });

  it("maxEps bounds the search: the same ρ̂ as the unbounded LP (255) when it reaches that far, none (with its reason) when it does not", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, fc.double({ min: 0.05, max: 3, noNaN: true }), async ([net, px], f) => {
        const open = await run(net, px, { descent: false, maxEps: 255 });
        if (open.status !== "adversarial") {
          const r = await run(net, px, { descent: false });
          expect(r.status).toBe(open.status);
          return;
        }
        const maxEps = open.rho * f;
        const r = await run(net, px, { descent: false, maxEps });
        if (open.rho <= maxEps * (1 - 1e-6)) {
          expect(r.status).toBe("adversarial");
          expect(r.rho).toBeCloseTo(open.rho, 5);
        } else if (open.rho > maxEps * (1 + 1e-6)) {
          expect(r.status).toBe("not_found");
          expect(r.diagnostics.message).toMatch(`within ε = ${maxEps}`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("the LP over hidden variables reaches the pixel form's optimum, iteratively and in one go", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const p = await run(net, px, { formulation: "pixels" });
        const h = await run(net, px, { formulation: "hidden" });
        const f = await run(net, px, { formulation: "hidden", iterative: false });
        const s = await run(net, px, { formulation: "hidden", seed: "none" });
        for (const r of [h, f, s]) {
          expect(r.status).toBe(p.status);
          expect(r.diagnostics.formulation).toBe("hidden");
          if (p.status === "adversarial") expect(r.rho).toBeCloseTo(p.rho, 5);
        }
        expect(p.diagnostics.formulation).toBe("pixels");
      }),
      { numRuns: 60 },
    );
  });

  it("passes lpOptions to the solver: same ρ̂ under another scaling, an iteration cap shows, a malformed one is refused", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const a = await run(net, px);
        const b = await run(net, px, { lpOptions: "simplex_scale_strategy=4; presolve=off" });
        expect(b.status).toBe(a.status);
        if (a.status === "adversarial") expect(b.rho).toBeCloseTo(a.rho, 5);
      }),
      { numRuns: 30 },
    );
    // a point whose LP has an optimum needs simplex iterations: capped at none, it cannot end optimal
    const cases = fc.sample(netAndPixels, { numRuns: 40, seed: 3 }) as [Network, number[]][];
    let capped = 0;
    for (const [net, px] of cases) {
      if ((await run(net, px)).status !== "adversarial") continue;
      // presolve off: presolve alone can solve a small LP (a DAG's, often) without one iteration
      const r = await run(net, px, { lpOptions: "simplex_iteration_limit=0; presolve=off" });
      expect(r.status).toBe("error");
      expect(r.diagnostics.message).toMatch(/iteration_limit/);
      if (++capped === 3) break;
    }
    expect(capped).toBe(3);
    const [net, px] = cases[0] as [Network, number[]];
    await expect(run(net, px, { lpOptions: "scale" })).rejects.toThrow(/name=value/);
  });

  it("gives the same ρ̂ with every LP solver", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const h = await run(net, px, { solver: "highs" });
        const g = await run(net, px, { solver: "glpk" });
        expect(g.status).toBe(h.status);
        if (h.status === "adversarial") expect(g.rho).toBeCloseTo(h.rho, 4);
      }),
      { numRuns: 40 },
    );
  });

  it("all targets is never worse than the second most probable label, and picks the best label", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const second = await run(net, px);
        const all = await run(net, px, { target: "all" });
        if (second.status === "adversarial") {
          expect(all.status).toBe("adversarial");
          expect(all.rho).toBeLessThanOrEqual(second.rho + 1e-6);
        }
        if (all.status === "adversarial") {
          const one = await run(net, px, { target: all.target as number });
          expect(one.rho).toBeCloseTo(all.rho, 5);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("reports the region's ties, and ρ̂ = ∞ with its reason when the region holds no example", async () => {
    // a max-pool over a blank image: every window ties; the flat region cannot flip the label
    const net = poolNetwork([1, 0, 1, 0, 1, 0, 1, 0], [1, 0]);
    const px = new Array(16).fill(0);
    const r = await run(net, px);
    expect(r.diagnostics.ties).toBe(4);
    expect(r.status).toBe("not_found");
    expect(r.rho).toBe(Number.POSITIVE_INFINITY);
    expect(r.diagnostics.message).toMatch(/no adversarial example in the linear region/);
  });
});
