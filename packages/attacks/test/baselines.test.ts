import { useBackend } from "@rho/models";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deepfool, fgsm, lbfgs, linf, smoothLinf } from "../src/index.js";
import { arbPixels2, arbWeights2, linear2 } from "./linear.js";

beforeAll(async () => {
  await useBackend("cpu");
});

const weights = arbWeights2.filter((w) => w[0] !== w[1] && w[2] !== w[3]); // both pixels matter, so the box never stalls a sign step
const interior = fc.array(fc.integer({ min: 60, max: 195 }), { minLength: 2, maxLength: 2 });

describe("fgsm", () => {
  it("on a two-label linear classifier succeeds exactly when ε exceeds ρ (its step is the optimal L∞ direction)", async () => {
    await fc.assert(
      fc.asyncProperty(weights, interior, fc.integer({ min: 1, max: 60 }), async (w, px, eps) => {
        const { net, label, rho } = linear2(w, px);
        fc.pre(Math.abs(eps - rho) > 1e-3);
        const r = await fgsm.run({ net }, { pixels: px, label }, { eps });
        expect(r.status).toBe(eps > rho ? "adversarial" : "not_found");
        if (r.status === "adversarial") expect(r.rho).toBe(eps); // interior points: the box never clips
      }),
      { numRuns: 60 },
    );
  });

  it("says it cannot estimate severity", async () => {
    const { net, label } = linear2([1, -1, 2, 0], [100, 100]);
    const r = await fgsm.run({ net }, { pixels: [100, 100], label });
    expect(String(r.diagnostics.severity)).toMatch(/not estimable/);
  });
});

describe("lbfgs", () => {
  it("the smooth ‖r‖∞ lies within [‖r‖∞, ‖r‖∞ + log(2n)/β] and its gradient matches finite differences", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0.1, max: 8, noNaN: true }),
        fc.nat(),
        (r, beta, k) => {
          const { value, grad } = smoothLinf(r, beta);
          const m = linf(r, new Array(r.length).fill(0));
          expect(value).toBeGreaterThanOrEqual(m - 1e-9);
          expect(value).toBeLessThanOrEqual(m + Math.log(2 * r.length) / beta + 1e-9);
          const i = k % r.length;
          const h = 1e-6;
          const up = smoothLinf(
            r.map((v, j) => (j === i ? v + h : v)),
            beta,
          ).value;
          const down = smoothLinf(
            r.map((v, j) => (j === i ? v - h : v)),
            beta,
          ).value;
          expect(grad[i] as number).toBeCloseTo((up - down) / (2 * h), 4);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("on two-label linear classifiers finds a confident example, never closer than ρ, within a few pixels of it", async () => {
    await fc.assert(
      fc.asyncProperty(weights, interior, async (w, px) => {
        const { net, label, rho } = linear2(w, px);
        fc.pre(rho < 40);
        const r = await lbfgs.run({ net }, { pixels: px, label });
        expect(r.status).toBe("adversarial");
        expect(r.rho).toBeGreaterThanOrEqual(rho - 1e-9);
        const z = net.forward64(r.adversarial as Float64Array).logits;
        expect((z[1 - label] as number) - (z[label] as number)).toBeGreaterThanOrEqual(0.15 - 1e-9);
        // the search over c ends near the optimum: the smooth norm's slack plus the margin's cost
        expect(r.rho).toBeLessThanOrEqual(rho + 0.15 + Math.log(4) / 4 + 1);
      }),
      { numRuns: 25 },
    );
  });

  it("offers Szegedy et al.'s ‖r‖₂² penalty and refuses an unknown norm", async () => {
    const { net, label } = linear2([1, -1, 2, 0], [100, 120]);
    const r = await lbfgs.run({ net }, { pixels: [100, 120], label }, { norm: "l2" });
    expect(r.status).toBe("adversarial");
    expect(r.diagnostics.norm).toBe("l2");
    await expect(lbfgs.run({ net }, { pixels: [100, 120], label }, { norm: "l1" })).rejects.toThrow(
      /option norm must be one of linf, l2, got "l1"/,
    );
  });
});

describe("deepfool", () => {
  it("on two-label linear classifiers it lands on ρ = gap / ‖w₀ − w₁‖₁ (the line search removes the overshoot)", async () => {
    await fc.assert(
      fc.asyncProperty(arbWeights2, arbPixels2, async (w, px) => {
        const { net, label, rho } = linear2(w, px);
        const r = await deepfool.run({ net }, { pixels: px, label });
        if (r.status !== "adversarial") return;
        expect(r.rho).toBeGreaterThanOrEqual(rho - 1e-9);
        // one linearised step is exact on a linear model; the box can only make it longer
        if (Number.isFinite(rho) && px.every((v) => v > rho + 1 && v < 254 - rho))
          expect(r.rho).toBeLessThanOrEqual(rho * (1 + 1e-4) + 1e-3);
      }),
      { numRuns: 40 },
    );
  });
});

describe("deepfool on the wasm backend (rho's default), where gather has no gradient", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });
  afterAll(async () => {
    await useBackend("cpu");
  });
  it("finds the linear classifier's example", async () => {
    const { net, label } = linear2([1, -1, -1, 1], [100, 100]);
    const r = await deepfool.run({ net }, { pixels: [103, 100], label: net.predict64([103, 100]) });
    expect(label).toBeDefined();
    expect(r.status, String(r.diagnostics.message)).toBe("adversarial");
  });
});
