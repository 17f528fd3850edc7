import { alpWalk, lbfgs, pgd } from "@rho/attacks";
import { gridCases } from "@rho/attacks/testing";
import { type Network, prng } from "@rho/models";
import { arbNetwork, arbPixels } from "@rho/models/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ballBox,
  boundRho,
  crown,
  crownBounds,
  ibp,
  intervalBounds,
  lowerBounds,
  SLOPE_CANDIDATES,
} from "../src/index.js";

const netAndPixels = arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net)));
const box = [0, 255] as const;

/** Random points of the ball ∩ box, corners included (where ReLU networks are extreme). */
function samples(center: ArrayLike<number>, eps: number, count: number, seed: number): Float64Array[] {
  const rand = prng(seed);
  return Array.from({ length: count }, (_, k) =>
    Float64Array.from(center as ArrayLike<number>, (c) => {
      const u = k % 2 === 0 ? (rand() < 0.5 ? -1 : 1) : rand() * 2 - 1;
      return Math.min(box[1], Math.max(box[0], c + u * eps));
    }),
  );
}

describe.each([
  ["ibp", intervalBounds],
  ["crown", (net: Network, pixels: Parameters<typeof intervalBounds>[1]) => crownBounds(net, pixels).bounds],
] as const)("%s: layer bounds", (_name, boundsOf) => {
  it("every layer's interval contains that layer's output at points of the ball", () => {
    fc.assert(
      fc.property(netAndPixels, fc.double({ min: 0, max: 40, noNaN: true }), fc.nat(), (args, eps, seed) => {
        const [net, px] = args;
        const bounds = boundsOf(net, ballBox(px, eps, box));
        for (const x of samples(px, eps, 20, seed)) {
          const { activations } = net.forward64(x);
          activations.forEach((a, l) => {
            const b = bounds[l] as { lo: Float64Array; hi: Float64Array };
            a.forEach((v, i) => {
              expect(v).toBeGreaterThanOrEqual(b.lo[i] as number);
              expect(v).toBeLessThanOrEqual(b.hi[i] as number);
            });
          });
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("crown's lower slopes", () => {
  it("every candidate α is a line under the ReLU on [l, u]: α ∈ [0, 1]", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -100, max: -1e-6, noNaN: true }),
        fc.double({ min: 1e-6, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (l, u, t) => {
          const x = l + t * (u - l);
          for (const slope of SLOPE_CANDIDATES) {
            const a = slope(l, u, 0, 0);
            expect(a).toBeGreaterThanOrEqual(0);
            expect(a).toBeLessThanOrEqual(1);
            expect(a * x).toBeLessThanOrEqual(Math.max(x, 0) + 1e-12);
          }
        },
      ),
    );
  });

  it("every candidate α gives a lower bound on random linear functions of the logits that holds in the ball", () => {
    fc.assert(
      fc.property(netAndPixels, fc.double({ min: 0, max: 40, noNaN: true }), fc.nat(), (args, eps, seed) => {
        const [net, px] = args;
        const pixels = ballBox(px, eps, box);
        const { bounds } = crownBounds(net, pixels);
        const L = net.layers.length;
        const k = net.shapes[L]?.reduce((a, b) => a * b, 1) as number;
        const rand = prng(seed);
        const rows = Array.from({ length: 3 }, () => Float64Array.from({ length: k }, () => rand() * 2 - 1));
        const xs = samples(px, eps, 20, seed);
        for (const slope of SLOPE_CANDIDATES) {
          const lb = lowerBounds(
            net,
            bounds,
            L,
            rows.map((r) => Float64Array.from(r)),
            pixels,
            slope,
          );
          for (const x of xs) {
            const z = net.forward64(x).logits;
            rows.forEach((r, i) => {
              const v = r.reduce((acc, w, j) => acc + w * (z[j] as number), 0);
              expect(v).toBeGreaterThanOrEqual(lb[i] as number);
            });
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe.each([ibp, crown].map((m) => [m.name, m] as const))("%s", (_name, method) => {
  it("a certified ball holds no other label (sampled, corners included)", async () => {
    let certified = 0;
    await fc.assert(
      fc.asyncProperty(netAndPixels, fc.nat(), async ([net, px], seed) => {
        const label = net.predict64(px);
        const r = await boundRho(method, net, px, label, { epsMax: 64, tolerance: 0.05 });
        expect(r.lower).toBeGreaterThanOrEqual(0);
        if (r.lower > 0) certified++;
        for (const x of samples(px, r.lower, 30, seed)) expect(net.predict64(x)).toBe(label);
      }),
      { numRuns: 40 },
    );
    expect(certified).toBeGreaterThan(5); // the property was exercised
  });

  it("never above an attack's verified ρ̂ (pgd, lbfgs, alp-walk)", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const label = net.predict64(px);
        const r = await boundRho(method, net, px, label, { epsMax: 255, tolerance: 0.05 });
        for (const attack of [pgd, lbfgs, alpWalk]) {
          const a = await attack.run({ net }, { pixels: px, label });
          if (a.status === "adversarial") expect(r.lower).toBeLessThanOrEqual(a.rho);
        }
      }),
      { numRuns: 15 },
    );
  }, 120_000);

  it("on 2-D ReLU networks: never above the true ρ of a dense grid", async () => {
    let compared = 0;
    for (const { net, px, label, truth } of gridCases()) {
      const r = await boundRho(method, net, px, label, { epsMax: 32, tolerance: 0.01 });
      if (Number.isFinite(truth)) {
        compared++;
        expect(r.lower).toBeLessThanOrEqual(truth);
      }
    }
    expect(compared).toBeGreaterThan(8);
  }, 60_000);
});

describe("crown against ibp", () => {
  it("is never looser: ρ_lb(crown) ≥ ρ_lb(ibp) up to the bisection tolerance, and its margins are never lower", async () => {
    let tighter = 0;
    await fc.assert(
      fc.asyncProperty(
        netAndPixels,
        fc.double({ min: 0.5, max: 30, noNaN: true }),
        async ([net, px], eps) => {
          const label = net.predict64(px);
          const q = { net, center: px, label, eps, box };
          const a = (await ibp.certify(q)).diagnostics.margin as number;
          const b = (await crown.certify(q)).diagnostics.margin as number;
          expect(b).toBeGreaterThanOrEqual(a);
          const ri = await boundRho(ibp, net, px, label, { epsMax: 64, tolerance: 0.01 });
          const rc = await boundRho(crown, net, px, label, { epsMax: 64, tolerance: 0.01 });
          expect(rc.lower).toBeGreaterThanOrEqual(ri.lower - 0.01);
          if (rc.lower > ri.lower + 0.01) tighter++;
        },
      ),
      { numRuns: 40 },
    );
    expect(tighter).toBeGreaterThan(0); // CROWN's relaxations do something
  }, 120_000);
});
