import { Network, rawPixels } from "@rho/models";
import { arbNetwork, arbPixels } from "@rho/models/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nearestLabels } from "../src/alp-walk.js";
import { alp, alpWalk } from "../src/index.js";
import { GRID_STEP, gridCases, poolNetwork, toyNetwork } from "../src/testing/index.js";

const netAndPixels = arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net)));

describe("alp-walk", () => {
  it("with ownRegion, is never worse than alp: ρ̂_walk ≤ ρ̂_alp whenever alp finds an example", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const label = net.predict64(px);
        const a = await alp.run({ net }, { pixels: px, label });
        const w = await alpWalk.run(
          { net },
          { pixels: px, label },
          { bisections: 1, maxRegions: 8, ownRegion: true, descent: false },
        );
        // x*'s own LP only adds a candidate: never a larger ρ̂ than the walk alone (before
        // descent, which may go further from either candidate)
        const alone = await alpWalk.run(
          { net },
          { pixels: px, label },
          { bisections: 1, maxRegions: 8, descent: false },
        );
        expect(w.rho).toBeLessThanOrEqual(alone.rho);
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

  it("walks the same path over hidden variables: the regions' LPs have the same optima", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const label = net.predict64(px);
        const opts = { bisections: 1, maxRegions: 8, ownRegion: true, descent: false };
        const p = await alpWalk.run({ net }, { pixels: px, label }, { ...opts, formulation: "pixels" });
        const h = await alpWalk.run({ net }, { pixels: px, label }, { ...opts, formulation: "hidden" });
        expect(h.status).toBe(p.status);
        if (p.status === "adversarial") expect(h.rho).toBeCloseTo(p.rho, 5);
      }),
      { numRuns: 20 },
    );
  }, 120_000);

  for (const step of ["ray", "region-lp"] as const)
    it(`${step} steps: the margin rises with every step, and each final LP is at most the walk's distance`, async () => {
      let reached = 0;
      await fc.assert(
        fc.asyncProperty(netAndPixels, async ([net, px]) => {
          const label = net.predict64(px);
          const w = await alpWalk.run(
            { net },
            { pixels: px, label },
            // descent off: this is about the walk (descent may lower ρ̂ past the walk's own)
            { step, bisections: 2, maxRegions: 10, maxEps: 255, descent: false },
          );
          expect(["adversarial", "not_found", "misclassified"]).toContain(w.status);
          if (w.status === "misclassified") return;
          const own = (w.diagnostics.perTarget as { ownRegionFeasible: boolean | null }[])[0];
          expect(own?.ownRegionFeasible).toBeNull(); // not solved unless asked
          for (const t of w.diagnostics.perTarget as {
            walks: { margins: number[]; reached: boolean }[];
            finalLps: { walkedTo: number; rho: number | null; status: string }[];
            walkedRho: number | null;
          }[]) {
            for (const walk of t.walks)
              walk.margins.forEach((m, k) => {
                if (k > 0) expect(m).toBeGreaterThan(walk.margins[k - 1] as number);
              });
            // the walk's point lies in its region with the target winning: the LP is feasible and no farther
            for (const f of t.finalLps) {
              reached++;
              expect(f.status).toBe("optimal");
              expect(f.rho as number).toBeLessThanOrEqual(f.walkedTo + 1e-6);
            }
            const best = Math.min(...t.finalLps.map((f) => f.rho as number));
            if (t.walkedRho !== null) expect(t.walkedRho).toBeCloseTo(best, 9);
          }
          if (w.status === "adversarial") {
            expect(w.verified?.float64).toBe(true);
            expect(w.rho).toBeCloseTo(
              (w.diagnostics.perTarget as { walkedRho: number }[])[0]?.walkedRho as number,
              9,
            );
          }
        }),
        { numRuns: 20 },
      );
      console.log(`alp-walk (${step}): ${reached} final LPs over 20 random networks`);
      expect(reached).toBeGreaterThan(3); // the property was exercised
    }, 120_000);

  it("firstLp false: one final LP, in the smallest ball's region, and an example exactly where the first walk reached the target", async () => {
    let solved = 0;
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const label = net.predict64(px);
        const opts = { bisections: 2, maxRegions: 10, maxEps: 255, descent: false };
        const both = await alpWalk.run({ net }, { pixels: px, label }, opts);
        const one = await alpWalk.run({ net }, { pixels: px, label }, { ...opts, firstLp: false });
        // the first walk is the same either way, and whether it reached the target decides
        expect(one.status).toBe(both.status);
        if (one.status !== "adversarial") return;
        expect(one.verified?.float64).toBe(true);
        const t = (
          one.diagnostics.perTarget as {
            finalLps: { walkedTo: number; rho: number | null; status: string }[];
          }[]
        )[0];
        expect(t?.finalLps).toHaveLength(1);
        solved++;
        const f = t?.finalLps[0];
        expect(f?.status).toBe("optimal");
        expect(f?.rho as number).toBeLessThanOrEqual((f?.walkedTo as number) + 1e-6);
        expect(one.rho).toBeCloseTo(f?.rho as number, 9);
      }),
      { numRuns: 20 },
    );
    expect(solved).toBeGreaterThan(3); // the property was exercised
  }, 120_000);

  it("bisections is the most walks: without a failed walk all run, after one the bracket closes within four", async () => {
    let bracketed = 0;
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const label = net.predict64(px);
        const opts = { bisections: 60, maxRegions: 10, maxEps: 255, descent: false, firstLp: false };
        const r = await alpWalk.run({ net }, { pixels: px, label }, opts);
        if (r.status !== "adversarial") return;
        const walks = (r.diagnostics.perTarget as { walks: { reached: boolean }[] }[])[0]?.walks ?? [];
        // the first walk reached the target (else no example); the bisections follow it
        const failed = walks.findIndex((w, i) => i > 0 && !w.reached);
        if (failed < 0) expect(walks).toHaveLength(61);
        else {
          bracketed++;
          // a failure leaves [0.9 hi, hi]; each walk after it at least halves the gap (BRACKET: 2 %)
          expect(walks.length - 1 - failed).toBeLessThanOrEqual(4);
        }
      }),
      { numRuns: 20 },
    );
    expect(bracketed).toBeGreaterThan(3); // the property was exercised
  }, 240_000);

  it("a step that gains nothing ends the walk and is not recorded (fast-check counterexample, seed 1666585375)", async () => {
    // Global average pool → dense(5) → ReLU → dense(3) where only unit 3 feeds label 1: labels 0
    // and 2 stay tied at 0, so target 0's margin can rise to 0 (unit 3 switched off) and no
    // further. The walk used to record the rejected step's lower margin (−0.045 after 0).
    const net = new Network({
      inputShape: [2, 3, 2],
      preprocess: { scale: [1 / 255, 1 / 255], shift: [0, 0] },
      layers: [
        { kind: "globalavgpool" },
        { kind: "dropout", rate: 0.5 },
        {
          kind: "dense",
          units: 5,
          weights: Float32Array.from([0.2, -0.1, -0.4, 2, -0.9, 1.5, -2, -1.9, -1.8, 0.5]),
          bias: Float32Array.from([-0.4, 1.9, -1.3, 1.7, -0.2]),
        },
        { kind: "relu" },
        {
          kind: "dense",
          units: 3,
          weights: Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.1, 0, 0, 0, 0]),
          bias: Float32Array.from([0, 0, 0]),
        },
      ],
    });
    const px = new Array(12).fill(0);
    const label = net.predict64(px);
    const w = await alpWalk.run(
      { net },
      { pixels: px, label },
      { bisections: 2, maxRegions: 10, maxEps: 255 },
    );
    expect(w.status).toBe("not_found");
    const walks = (w.diagnostics.perTarget as { walks: { margins: number[]; reason: string }[] }[]).flatMap(
      (t) => t.walks,
    );
    expect(walks.length).toBeGreaterThan(0);
    for (const walk of walks) {
      walk.margins.forEach((m, k) => {
        if (k > 0) expect(m).toBeGreaterThan(walk.margins[k - 1] as number);
      });
      expect(walk.reason).toMatch(/stuck|stalled|no region/);
    }
  });

  it("refuses an unknown step or a reach that is not positive before any work", async () => {
    const net = toyNetwork(1);
    const px = [100, 100];
    const label = net.predict64(px);
    await expect(alpWalk.run({ net }, { pixels: px, label }, { step: "nope" })).rejects.toThrow(
      /alp-walk: option step must be one of ray, region-lp, got "nope"/,
    );
    await expect(alpWalk.run({ net }, { pixels: px, label }, { reach: 0 })).rejects.toThrow(
      /option reach must be number > 0, got 0/,
    );
  });

  it("walks off a point where every max-pool window ties, to the true ρ", async () => {
    // a blank 4×4 image: all four 2×2 windows tie at x*; label 1 wins once Σ maxima > 10, so the
    // true ρ is 2.5 (one pixel per window raised), whichever pixel the tie rule calls the winner
    const net = poolNetwork([0, 1, 0, 1, 0, 1, 0, 1], [10, 0]);
    const w = await alpWalk.run({ net }, { pixels: new Array(16).fill(0), label: 0 });
    expect(w.status).toBe("adversarial");
    const [t] = w.diagnostics.perTarget as { ownRegionFeasible: null; walks: { reached: boolean }[] }[];
    expect(t?.ownRegionFeasible).toBeNull(); // found by walking, not by x*'s own LP
    expect(t?.walks[0]?.reached).toBe(true);
    expect(w.rho).toBeGreaterThanOrEqual(2.5);
    expect(w.rho).toBeLessThanOrEqual(2.5 + 1e-3); // the margin 1e-3 shared by four windows
  });

  it("on 2-D ReLU networks: never below the true ρ of a dense grid, and close to it", async () => {
    const gaps: number[] = [];
    let missed = 0;
    let reachable = 0;
    const h = GRID_STEP; // the true ρ lies in (truth − h, truth]
    for (const { net, px, label, truth } of gridCases()) {
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

  it("nearest: the labels whose linear boundary is nearest, exactly, on linear classifiers; pixels held by the box left out", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 18, maxLength: 18 }),
        fc.array(fc.integer({ min: 1, max: 254 }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 1, max: 5 }),
        async (w, px, count) => {
          // z = x·W over 3 raw pixels and 6 labels, W stored [input][label]
          const labels = 6;
          const net = new Network({
            inputShape: [3],
            preprocess: rawPixels(1),
            layers: [
              { kind: "dense", units: labels, weights: Float32Array.from(w), bias: new Float32Array(labels) },
            ],
          });
          const x = Float64Array.from(px);
          const z = net.forward64(x).logits;
          const label = net.predict64(x);
          const others = [0, 1, 2, 3, 4, 5].filter((j) => j !== label);
          // the closed form: the margin over the L1 norm of its weights (no pixel at the box's edge)
          const exact = others.map((k) => {
            let l1 = 0;
            for (let i = 0; i < 3; i++)
              l1 += Math.abs((w[i * labels + label] as number) - (w[i * labels + k] as number));
            return {
              k,
              d: l1 > 0 ? ((z[label] as number) - (z[k] as number)) / l1 : Number.POSITIVE_INFINITY,
            };
          });
          const got = await nearestLabels({ net }, x, label, others, z, [0, 255], count);
          expect(got).toHaveLength(count);
          const worst = Math.max(...got.map((k) => exact.find((e) => e.k === k)?.d as number));
          const skipped = exact.filter((e) => !got.includes(e.k)).map((e) => e.d);
          for (const d of skipped) expect(d).toBeGreaterThanOrEqual(worst - 1e-6 * (1 + Math.abs(worst)));
        },
      ),
      { numRuns: 60 },
    );
    // z = (300, x₀, x₁) at x = (255, 10): label 1's boundary is 45 pixels away along x₀ alone, but x₀
    // is at the box's top; label 2's is 290 away along x₁, which can rise
    const net = new Network({
      inputShape: [2],
      preprocess: rawPixels(1),
      layers: [
        {
          kind: "dense",
          units: 3,
          weights: Float32Array.from([0, 1, 0, 0, 0, 1]),
          bias: Float32Array.from([300, 0, 0]),
        },
      ],
    });
    const x = Float64Array.from([255, 10]);
    const z = net.forward64(x).logits;
    expect(net.predict64(x)).toBe(0);
    expect(await nearestLabels({ net }, x, 0, [1, 2], z, [0, 255], 1)).toEqual([2]);
    expect(await nearestLabels({ net }, x, 0, [1, 2], z, [0, 300], 1)).toEqual([1]);
  }, 120_000);
});
