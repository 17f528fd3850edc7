// The leaderboard's attacks on networks whose answer is known: two-label linear classifiers
// (ρ = gap / ‖Δw‖₁ in closed form) and random small networks. Every example is verified by
// defineAttack; these tests check how close they come, their budgets, boxes and seeds.
import { useBackend } from "@rho/models";
import { arbNetwork, arbPixels } from "@rho/models/testing";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  apgd,
  apgdCheckpoints,
  apgdMin,
  ensemble,
  ensembleEps,
  fab,
  fmn,
  getAttack,
  parseMembers,
  projectToHyperplane,
  square,
  squareFraction,
} from "../src/index.js";
import { arbWeights2, linear2 } from "./linear.js";

beforeAll(async () => {
  await useBackend("cpu");
});

const weights = arbWeights2.filter((w) => w[0] !== w[1] && w[2] !== w[3]);
const interior = fc.array(fc.integer({ min: 60, max: 195 }), { minLength: 2, maxLength: 2 });

describe("minimum-distance: apgd-min, fmn and fab", () => {
  for (const attack of [apgdMin, fmn, fab])
    it(`${attack.name} on two-label linear classifiers: ρ̂ ≥ ρ, and within 2 % + 0.5 px of it inside the box`, async () => {
      await fc.assert(
        fc.asyncProperty(weights, interior, async (w, px) => {
          const { net, label, rho } = linear2(w, px);
          fc.pre(rho > 0.5 && rho < 50);
          const r = await attack.run({ net }, { pixels: px, label });
          expect(r.status).toBe("adversarial");
          expect(r.rho).toBeGreaterThanOrEqual(rho - 1e-9);
          if (px.every((v) => v > rho + 2 && v < 253 - rho))
            expect(r.rho).toBeLessThanOrEqual(rho * 1.02 + 0.5);
        }),
        { numRuns: 25 },
      );
    });
});

describe("fab: its projection, and FAB-T", () => {
  it("reaches the hyperplane within the box by the smallest L∞ step, or gets as close as the box allows", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: -9, max: 9 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: -3000, max: 3000 }),
        (pairs, target) => {
          const z = Float64Array.from(pairs, ([v]) => v);
          const w = Float64Array.from(pairs, ([, c]) => c);
          const d = projectToHyperplane(z, w, target, [0, 255]);
          const moved = z.map((v, i) => v + (d[i] as number));
          expect(moved.every((v) => v >= -1e-9 && v <= 255 + 1e-9)).toBe(true);
          const dot = (x: Float64Array) => x.reduce((t, v, i) => t + v * (w[i] as number), 0);
          // the most w·z can move toward the target inside the box
          const need = target - dot(z);
          const most = z.reduce((t, v, i) => {
            const c = w[i] as number;
            return t + Math.abs(c) * (c > 0 === need > 0 ? 255 - v : v);
          }, 0);
          if (most >= Math.abs(need)) {
            expect(Math.abs(dot(moved) - target)).toBeLessThan(1e-6 * (1 + Math.abs(target)));
            // no smaller step reaches it: Σ|w|·min(t, room) < |need| for t just below the step
            const t = d.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            if (t > 1e-6) {
              const below = z.reduce((s, v, i) => {
                const c = w[i] as number;
                return s + Math.abs(c) * Math.min(t * (1 - 1e-6), c > 0 === need > 0 ? 255 - v : v);
              }, 0);
              expect(below).toBeLessThan(Math.abs(need));
            }
          } else expect(Math.abs(dot(moved) - dot(z))).toBeCloseTo(most, 6);
        },
      ),
      { numRuns: 300 },
    );
  });
  it("fab toward one label (FAB-T) steps to that boundary only: on two labels, the untargeted answer", async () => {
    await fc.assert(
      fc.asyncProperty(weights, interior, async (w, px) => {
        const { net, label, rho } = linear2(w, px);
        fc.pre(rho > 0.5 && rho < 50);
        const untargeted = await fab.run({ net }, { pixels: px, label });
        const toward = await fab.run({ net }, { pixels: px, label }, { target: 1 - label });
        expect(toward.status).toBe(untargeted.status);
        expect(toward.target).toBe(1 - label);
        expect(toward.rho).toBeCloseTo(untargeted.rho, 9);
        await expect(fab.run({ net }, { pixels: px, label }, { target: label })).resolves.toMatchObject({
          status: "error",
        });
      }),
      { numRuns: 10 },
    );
  });
});

describe("fixed-ε: apgd (ce, dlr) and square", () => {
  it("apgd finds an example exactly when ε clearly exceeds ρ (inside the box)", async () => {
    await fc.assert(
      fc.asyncProperty(
        weights,
        interior,
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom("ce", "dlr"),
        async (w, px, eps, loss) => {
          const { net, label, rho } = linear2(w, px);
          fc.pre(Math.abs(eps - rho) > 0.05 * rho + 0.01 && px.every((v) => v > eps && v < 255 - eps));
          const r = await apgd.run({ net }, { pixels: px, label }, { eps, loss, iterations: 20 });
          expect(r.status).toBe(eps > rho ? "adversarial" : "not_found");
        },
      ),
      { numRuns: 30 },
    );
  });

  it("square finds the linear classifier's example beyond ρ, stays within its query budget, and repeats under its seed", async () => {
    await fc.assert(
      fc.asyncProperty(weights, interior, async (w, px) => {
        const { net, label, rho } = linear2(w, px);
        fc.pre(rho < 40);
        const eps = Math.min(rho * 1.2 + 1, 60);
        fc.pre(px.every((v) => v > eps && v < 255 - eps));
        const a = await square.run({ net }, { pixels: px, label }, { eps, queries: 200, seed: 3 });
        const b = await square.run({ net }, { pixels: px, label }, { eps, queries: 200, seed: 3 });
        expect(a.status).toBe("adversarial");
        expect(Array.from(b.adversarial ?? [])).toEqual(Array.from(a.adversarial ?? []));
        expect(a.diagnostics.queries as number).toBeLessThanOrEqual(200);
      }),
      { numRuns: 25 },
    );
  });

  it("square's window shrinks on AutoAttack's schedule", () => {
    expect(squareFraction(0.8, 0, 10000)).toBe(0.8);
    expect(squareFraction(0.8, 11, 10000)).toBe(0.4);
    expect(squareFraction(0.8, 9000, 10000)).toBeCloseTo(0.8 / 512, 12);
    expect(squareFraction(0.8, 500, 1000)).toBeCloseTo(0.8 / 128, 12); // 5,000 of 10,000: 7 halvings
  });

  it("apgd's checkpoints follow p₀ = 0, p₁ = 0.22, pⱼ₊₁ = pⱼ + max(pⱼ − pⱼ₋₁ − 0.03, 0.06)", () => {
    expect(apgdCheckpoints(100)).toEqual([22, 41, 57, 70, 80, 87, 93, 99]);
  });
});

describe("boxes, and every attack on random networks", () => {
  it("examples stay inside a narrowed box; ρ̂ is the distance to the untouched x*", async () => {
    const box: [number, number] = [40, 210];
    await fc.assert(
      fc.asyncProperty(
        arbNetwork({ maxLayers: 3 }).chain((net) =>
          fc.tuple(
            fc.constant(net),
            arbPixels(net).map((p) => p.map((v) => 40 + (v % 171))),
          ),
        ),
        async ([net, px]) => {
          const label = net.predict64(px);
          for (const attack of [apgdMin, fmn, fab, apgd, square]) {
            const r = await attack.run(
              { net },
              { pixels: px, label },
              {
                box,
                ...(attack === square ? { queries: 100 } : {}),
                ...(attack === apgdMin || attack === apgd ? { iterations: 10 } : {}),
                ...(attack === fmn || attack === fab ? { steps: 30 } : {}),
              },
            );
            expect(["adversarial", "not_found"]).toContain(r.status);
            if (r.status === "adversarial") {
              const x = r.adversarial as Float64Array;
              expect(x.every((v) => v >= box[0] && v <= box[1])).toBe(true);
              expect(r.verified?.float64).toBe(true);
            }
          }
        },
      ),
      { numRuns: 10 },
    );
  });
});

describe("ensemble", () => {
  it("reports the smallest verified ρ̂ of its members, never more than the best", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbNetwork({ maxLayers: 3 }).chain((net) => fc.tuple(fc.constant(net), arbPixels(net))),
        async ([net, px]) => {
          const label = net.predict64(px);
          const members = "deepfool,fmn:steps=30,apgd-min:iterations=10";
          const e = await ensemble.run({ net }, { pixels: px, label }, { attacks: members });
          const rhos = await Promise.all(
            parseMembers(members).map(
              async (m) => (await getAttack(m.name).run({ net }, { pixels: px, label }, m.opts)).rho,
            ),
          );
          expect(e.rho).toBe(Math.min(...rhos));
        },
      ),
      { numRuns: 10 },
    );
  });

  it("parses members with options and refuses itself and malformed lists", async () => {
    expect(parseMembers("apgd,apgd:loss=dlr:iterations=5")).toEqual([
      { name: "apgd", opts: {} },
      { name: "apgd", opts: { loss: "dlr", iterations: 5 } },
    ]);
    const { net, label } = linear2([1, -1, -1, 1], [100, 100]);
    const r = await ensemble.run({ net }, { pixels: [100, 100], label }, { attacks: "ensemble" });
    expect(r.status).toBe("error");
    // one family each: no fixed-ε member in a minimum-distance ensemble, and the other way round
    const mixed = await ensemble.run({ net }, { pixels: [100, 100], label }, { attacks: "pgd,apgd" });
    expect(String(mixed.diagnostics.message)).toMatch(/takes minimum-distance attacks, not apgd/);
    expect(ensembleEps.family).toBe("fixed-epsilon");
    const e = await ensembleEps.run(
      { net },
      { pixels: [100, 100], label },
      { attacks: "apgd:eps=30,square:eps=30" },
    );
    expect(e.status).toBe("adversarial");
    // AutoAttack's order: square runs only where apgd failed; all=true runs both
    const members = (r: { diagnostics: Record<string, unknown> }) =>
      (r.diagnostics.members as { attack: string; status: string }[]).map((m) => m.status);
    expect(members(e)).toEqual(["adversarial", "skipped"]);
    const every = await ensembleEps.run(
      { net },
      { pixels: [100, 100], label },
      { attacks: "apgd:eps=30,square:eps=30", all: true },
    );
    expect(members(every)).toEqual(["adversarial", "adversarial"]);
    expect(every.rho).toBeLessThanOrEqual(e.rho);
    await expect(
      ensemble.run({ net }, { pixels: [100, 100], label }, { attacks: "pgd,,x=1" }),
    ).rejects.toThrow(/attacks/);
  });
});
