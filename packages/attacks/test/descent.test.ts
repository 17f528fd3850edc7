import { LinearRegion } from "@rho/encoders";
import { prng, useBackend } from "@rho/models";
import { arbNetwork, arbPixels } from "@rho/models/testing";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { descend, nextRegion } from "../src/descent.js";
import { type AttackResult, alp, alpPgd, alpWalk } from "../src/index.js";
import { resolvedOptions } from "../src/options.js";
import { LP_OPTIONS, nearestInRegion, regionLpOptions } from "../src/region-lp.js";
import { convNetwork, GRID_STEP, gridCases } from "../src/testing/index.js";

beforeAll(async () => {
  await useBackend("cpu");
});

const netAndPixels = arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net)));
const search = { maxEps: 64, steps: 10, bisections: 4 };
type Path = { steps: number; rho: number[]; stop: string };

/** The same run without and with descent: the path starts at the plain ρ̂, falls at every step, ends verified. */
function checkDescent(plain: AttackResult, down: AttackResult): Path | undefined {
  expect(down.status).toBe(plain.status);
  if (plain.status !== "adversarial") return undefined;
  const d = down.diagnostics.descent as Path;
  expect(d.rho[0]).toBeCloseTo(plain.rho, 9);
  for (let k = 1; k < d.rho.length; k++) expect(d.rho[k] as number).toBeLessThan(d.rho[k - 1] as number);
  expect(d.steps).toBe(d.rho.length - 1);
  expect(down.rho).toBeCloseTo(d.rho.at(-1) as number, 9);
  expect(down.rho).toBeLessThanOrEqual(plain.rho + 1e-9);
  expect(down.verified?.float64).toBe(true);
  return d;
}

describe("region descent", () => {
  it("is on by default in alp-walk and alp-pgd, off in alp (the paper's single-region method)", async () => {
    expect(alpWalk.options.descent?.default).toBe(true);
    expect(alpPgd.options.descent?.default).toBe(true);
    expect(alp.options.descent?.default).toBe(false);
    const net = convNetwork(1);
    const rand = prng(501);
    const px = Array.from({ length: 64 }, () => Math.floor(rand() * 256));
    const r = await alpPgd.run({ net }, { pixels: px, label: net.predict64(px) });
    expect(r.status).toBe("adversarial");
    expect(r.diagnostics.descent).toBeDefined();
  });

  it("every step lowers ρ̂, the first is the undescended ρ̂, and the final example is verified", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const label = net.predict64(px);
        const plain = await alpPgd.run({ net }, { pixels: px, label }, { ...search, descent: false });
        const down = await alpPgd.run({ net }, { pixels: px, label }, { ...search, descent: true });
        checkDescent(plain, down);
      }),
      { numRuns: 30 },
    );
  }, 120_000);

  it("on small LeNet-like networks: every step lowers ρ̂ and the example stays verified, for every pick", async () => {
    const picks = ["across", "at", "toward"] as const;
    const stats = Object.fromEntries(picks.map((p) => [p, { stepped: 0, found: 0, gain: 0 }]));
    for (let seed = 1; seed <= 30; seed++) {
      const net = convNetwork(seed);
      const rand = prng(500 + seed);
      const px = Array.from({ length: 64 }, () => Math.floor(rand() * 256));
      const label = net.predict64(px);
      for (const attack of [alpPgd, alpWalk]) {
        const plain = await attack.run({ net }, { pixels: px, label }, { descent: false });
        for (const descentPick of picks) {
          const down = await attack.run({ net }, { pixels: px, label }, { descent: true, descentPick });
          const d = checkDescent(plain, down);
          if (!d) continue;
          const st = stats[descentPick] as { stepped: number; found: number; gain: number };
          st.found++;
          if (d.steps > 0) st.stepped++;
          st.gain += 1 - down.rho / plain.rho;
        }
      }
    }
    for (const p of picks) {
      const st = stats[p] as { stepped: number; found: number; gain: number };
      console.info(
        `descent (${p}) on LeNet-like networks: ${st.stepped} of ${st.found} examples moved, ρ̂ ${((st.gain / st.found) * 100).toFixed(2)} % lower on average`,
      );
    }
    const across = stats.across as { stepped: number; gain: number };
    expect(across.stepped).toBeGreaterThan(5);
    expect(across.gain).toBeGreaterThan(0);
  }, 600_000);

  it("ends where one more step, into the region across the optimum's tight facets, gains no more than the tolerance", async () => {
    const lp = await regionLpOptions(resolvedOptions("alp", LP_OPTIONS));
    const box = [0, 255] as const;
    let checked = 0;
    let stepped = 0;
    // LeNet-like networks, where descent moves (2-D ReLU networks rarely take a step)
    for (let seed = 1; seed <= 30; seed++) {
      const net = convNetwork(seed);
      const rand = prng(500 + seed);
      const px = Array.from({ length: 64 }, () => Math.floor(rand() * 256));
      const c = { net, px, label: net.predict64(px) };
      const plain = await alpPgd.run({ net: c.net }, { pixels: c.px, label: c.label }, { descent: false });
      if (plain.status !== "adversarial") continue;
      // start from the LP over the region of the gradient example (it holds that example)
      const center = Float64Array.from(c.px);
      const target = plain.target as number;
      const region = new LinearRegion(c.net, plain.adversarial as Float64Array);
      const query = {
        net: c.net,
        center,
        box,
        label: c.label,
        target,
        margin: 1e-3,
        lp,
        ties: "first" as const,
      };
      const r0 = await nearestInRegion(region, query);
      if (r0.x === undefined || r0.rho === undefined) continue;
      const from = { x: r0.x, rho: r0.rho, region };
      const opts = {
        descentSteps: 100,
        descentTolerance: 1e-3,
        descentPick: "across" as const,
        descentFlips: 0,
      };
      const d = await descend(query, from, opts);
      expect(d.stop).not.toBe("steps");
      expect(d.rho).toBeLessThanOrEqual(r0.rho);
      if (d.path.length > 1) stepped++;
      const again = await nearestInRegion(nextRegion(c.net, d, center, box, "first", "across"), query);
      if (again.rho !== undefined) expect(again.rho).toBeGreaterThanOrEqual(d.rho * (1 - 1e-3) - 1e-9);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
    expect(stepped).toBeGreaterThan(3);
    console.info(`descent to a stop on ${checked} LeNet-like cases, ${stepped} of them took a step`);
  }, 120_000);

  it("on 2-D ReLU networks: never below the grid's true ρ, and closer to it than before descent", async () => {
    const before: number[] = [];
    const after: number[] = [];
    let stepped = 0;
    for (const c of gridCases()) {
      if (!Number.isFinite(c.truth)) continue;
      for (const attack of [alpPgd, alpWalk]) {
        const plain = await attack.run({ net: c.net }, { pixels: c.px, label: c.label }, { descent: false });
        if (plain.status !== "adversarial") continue;
        const down = await attack.run({ net: c.net }, { pixels: c.px, label: c.label }, { descent: true });
        expect(down.status).toBe("adversarial");
        // a verified example at ρ̂: the true ρ is no larger, and the grid is within its step of it
        expect(down.rho).toBeGreaterThanOrEqual(c.truth - GRID_STEP - 1e-9);
        expect(down.rho).toBeLessThanOrEqual(plain.rho + 1e-9);
        if ((down.diagnostics.descent as Path).steps > 0) stepped++;
        before.push(plain.rho - c.truth);
        after.push(down.rho - c.truth);
      }
    }
    expect(before.length).toBeGreaterThan(20);
    expect(stepped).toBeGreaterThan(0);
    const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
    expect(sum(after)).toBeLessThanOrEqual(sum(before));
    console.info(
      `descent on ${before.length} 2-D cases (${stepped} took a step): mean ρ̂ − grid ρ ${(sum(before) / before.length).toFixed(3)} → ${(sum(after) / after.length).toFixed(3)} pixels`,
    );
  }, 300_000);
});
