// Nothing in the bounds hangs or runs past its limit: the bisection stops below float resolution
// and at a deadline; the MILP's time limit covers its bound tightening and its solves.
import { lenet } from "@rho/models";
import { describe, expect, it } from "vitest";
import { type BoundMethod, ballBox, boundRho, crownBounds, exactRho, marginBounds } from "../src/index.js";
import { distanceMilp } from "../src/milp/formulation.js";

/** A method that certifies exactly the balls of radius below `rho`, taking `ms` per call. */
const threshold = (rho: number, ms = 0): BoundMethod => ({
  name: "threshold",
  description: "certifies ε < rho",
  async certify(q) {
    if (ms) await new Promise((r) => setTimeout(r, ms));
    return { status: q.eps < rho ? "certified" : "unknown", diagnostics: {} };
  },
});

const net = lenet(1);
const center = new Float64Array(784).fill(0);

describe("bisection", () => {
  it.each([1e-16, 1e-300, Number.MIN_VALUE])(
    "tolerance %s below float resolution ends",
    async (tolerance) => {
      const r = await boundRho(threshold(0.3), net, center, 0, { tolerance, epsMax: 255 });
      expect(r.lower).toBeLessThan(0.3);
      expect(0.3 - r.lower).toBeLessThan(1e-15);
      expect(r.calls).toBeLessThan(100);
    },
  );

  it("stops at its deadline with what it has certified", async () => {
    const t0 = performance.now();
    const r = await boundRho(threshold(100.5, 40), net, center, 0, { tolerance: 1e-9, deadline: t0 + 300 });
    const took = performance.now() - t0;
    expect(took).toBeLessThan(300 + 40 + 500); // one call past the deadline, and a busy machine's timers
    expect(r.lower).toBeLessThan(100.5);
    expect(r.status).toBe("bracket");
  });
});

describe("milp's time limit", () => {
  it("covers the CROWN floor, the balls' bounds, the models and every solve (HiGHS ended if it overruns)", async () => {
    // an untrained LeNet at an all-zero image: thousands of undecided ReLUs, far from solvable in
    // 1.5 s, and CROWN certifies no radius there (ρ_lb 0: the balls once never grew from it)
    const label = net.predict64(center);
    const t0 = performance.now();
    const r = await exactRho(net, center, label, { timeLimit: 3, epsMax: 255 });
    const seconds = (performance.now() - t0) / 1000;
    // One MILP's preparation (a ball's CROWN bounds and the model), timed here under whatever load
    // the test runner puts on the cores (CI runs packages side by side): the indivisible unit of
    // work that may overrun the limit.
    const t1 = performance.now();
    const pixels = ballBox(center, 1, [0, 255]);
    const { bounds } = crownBounds(net, pixels);
    marginBounds(net, bounds, pixels, label);
    const others = Array.from({ length: 10 }, (_, j) => j).filter((j) => j !== label);
    distanceMilp(net, center, label, others, pixels, bounds, 0, 1, 0);
    const unit = (performance.now() - t1) / 1000;
    // 10 % over, plus that unit twice (a new MILP is begun on the last one's time, which may be
    // short) and HiGHS's own overrun: it took 8× the limit before
    expect(seconds).toBeLessThan(3 * 1.1 + 2 * unit + 0.5);
    expect(r.lower).toBeGreaterThanOrEqual(0);
    if (r.upper !== null) expect(r.lower).toBeLessThanOrEqual(r.upper);
  });
});
