// Branch and bound against the MILP on the whole box, on random two-hidden-layer networks over two
// inputs: split to the end (every leaf an LP), it gives the MILP's answer, an unsat holds on a
// dense grid, and a sat counterexample replays.
import { crownBounds, type Interval, propertyMilp, reluInputs } from "@rho/bounds";
import { type Network, useBackend } from "@rho/models";
import { arbTwoHidden } from "@rho/models/testing";
import { getSolver, type LpSolver } from "@rho/solvers";
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import { branchAndBound, type LeafAnswer } from "../src/bab.js";
import {
  inBox,
  type OutputRow,
  parseVnnlib,
  type SpecCase,
  type VnnSpec,
  verifyProperty,
} from "../src/index.js";
import { satisfies } from "../src/semantics.js";
import { expectAnswerHolds } from "./answers.js";

beforeAll(async () => {
  await useBackend("cpu");
});

const arbNet = arbTwoHidden(2, 3);

/** A box in [−2, 2]² and "Y_a ≥ Y_b" (and maybe Y_a ≤ c) as the unsafe output condition. */
const arbSpec = fc
  .tuple(
    fc.integer({ min: -20, max: 10 }),
    fc.integer({ min: 5, max: 20 }),
    fc.integer({ min: -20, max: 10 }),
    fc.integer({ min: 5, max: 20 }),
    fc.integer({ min: 0, max: 2 }),
    fc.integer({ min: 1, max: 2 }),
    fc.option(fc.integer({ min: -10, max: 10 })),
  )
  .map(([x0, w0, x1, w1, a, shift, c]) => {
    const b = (a + shift) % 3;
    const extra = c === null ? "" : ` (<= Y_${a} ${c / 10})`;
    return parseVnnlib(`(declare-const X_0 Real) (declare-const X_1 Real)
(declare-const Y_0 Real) (declare-const Y_1 Real) (declare-const Y_2 Real)
(assert (>= X_0 ${x0 / 10})) (assert (<= X_0 ${(x0 + w0) / 10}))
(assert (>= X_1 ${x1 / 10})) (assert (<= X_1 ${(x1 + w1) / 10}))
(assert (and (>= Y_${a} Y_${b})${extra}))`);
  });

/** The spec's first case and conjunction, its box, and CROWN's bounds over it: one search's input. */
const firstConjunction = (net: Network, spec: VnnSpec) => {
  const c = spec.cases[0] as SpecCase;
  const box = { lo: c.lo, hi: c.hi };
  return { c, rows: c.outputs[0] as OutputRow[], box, bounds: crownBounds(net, box).bounds };
};

/** The MILP over a domain's bounds as a leaf, without time limit or float32 slack (a small net). */
const exactLeaf =
  (net: Network, highs: LpSolver, box: Interval, rows: readonly OutputRow[]) =>
  async (b: readonly Interval[]): Promise<LeafAnswer> => {
    const m = propertyMilp(net, box, b as Interval[], rows);
    const r = await highs.solve(m.lp, {});
    if (r.status === "infeasible") return { status: "empty" };
    if (r.status !== "optimal" || !r.primal) return { status: "open" };
    const x = Float64Array.from(m.pixels, (col) => r.primal?.[col] as number);
    return { status: "sat", x, y: net.forward64(x).logits };
  };

it("split to the end, branch and bound answers as the MILP does; unsat holds on a grid, sat replays", async () => {
  const seen = { bab: 0, sat: 0, unsat: 0 };
  await fc.assert(
    fc.asyncProperty(arbNet, arbSpec, async (net, spec) => {
      // no PGD and no α-CROWN on the intermediate bounds: what sampling and CROWN leave goes to
      // the search; then the default pipeline (α-CROWN on) must agree as well
      const bab = await verifyProperty(net, spec, { timeout: 20, restarts: 0, leafUnits: 0, alpha: false });
      const milp = await verifyProperty(net, spec, {
        timeout: 20,
        restarts: 0,
        milpUnits: 1e9,
        alphaShare: 0,
      });
      const full = await verifyProperty(net, spec, { timeout: 20, restarts: 0, leafUnits: 0 });
      // and with α,β-CROWN's steps in every domain (the splits inside the backward pass)
      const beta = await verifyProperty(net, spec, {
        timeout: 20,
        restarts: 0,
        leafUnits: 0,
        alphaIterations: 10,
      });
      expect(bab.status).not.toBe("timeout");
      if (beta.status !== "unknown" && milp.status !== "unknown") expect(beta.status).toBe(milp.status);
      expectAnswerHolds(net, spec, beta);
      if (bab.status !== "unknown" && milp.status !== "unknown") expect(bab.status).toBe(milp.status);
      if (full.status !== "unknown" && milp.status !== "unknown") expect(full.status).toBe(milp.status);
      expectAnswerHolds(net, spec, full);
      if (bab.stage === "bab") seen.bab++;
      // an unsat search settled all of its tree; any other answer left part of it
      if (bab.settled !== undefined) {
        if (bab.status === "unsat") expect(bab.settled).toBeCloseTo(1, 12);
        else if (bab.status !== "sat") expect(bab.settled).toBeLessThan(1);
      }
      expectAnswerHolds(net, spec, bab);
      if (bab.status === "sat") seen.sat++;
      if (bab.status === "unsat") seen.unsat++;
    }),
    { numRuns: 60 },
  );
  // the search itself decided some, and both answers occur
  expect(seen.bab).toBeGreaterThan(5);
  expect(seen.sat).toBeGreaterThan(0);
  expect(seen.unsat).toBeGreaterThan(0);
}, 180_000);

it("a leaf out of time is split further, not left open: the answers stay those of a leaf that never tires", async () => {
  const highs = await getSolver("highs");
  let retried = 0;
  let compared = 0;
  let settledSplit = 0;
  await fc.assert(
    fc.asyncProperty(arbNet, arbSpec, async (net, spec) => {
      const { rows, box, bounds } = firstConjunction(net, spec);
      const unstable = (b: readonly Interval[]) =>
        reluInputs(net).reduce((n, { value }) => {
          const iv = b[value] as Interval;
          return n + iv.lo.filter((l, k) => l < 0 && (iv.hi[k] as number) > 0).length;
        }, 0);
      const exact = exactLeaf(net, highs, box, rows);
      const deadline = () => performance.now() + 20_000;
      const honest = await branchAndBound(net, box, bounds, rows, {
        deadline: deadline(),
        leafUnits: 24,
        leaf: exact,
      });
      // a leaf that runs out of time wherever a ReLU is still unstable
      const tired = await branchAndBound(net, box, bounds, rows, {
        deadline: deadline(),
        leafUnits: 24,
        leaf: async (b) => {
          if (unstable(b) === 0) return exact(b);
          retried++;
          return { status: "open", retry: true };
        },
      });
      expect(tired.status).not.toBe("timeout");
      if (honest.status !== "unknown" && tired.status !== "unknown") {
        compared++;
        expect(tired.status).toBe(honest.status);
      }
      // only a leaf that cannot be split may leave the search open
      if (tired.status === "unknown") expect(honest.status).toBe("unknown");
      // the settled shares of the tree add up to all of it exactly when every domain was closed
      for (const r of [honest, tired]) {
        if (r.status === "unsat") expect(r.settled).toBeCloseTo(1, 12);
        else expect(r.settled).toBeLessThan(1);
        if (r.status === "unsat" && r.domains > 1) settledSplit++;
      }
    }),
    { numRuns: 40 },
  );
  expect(retried).toBeGreaterThan(5);
  expect(compared).toBeGreaterThan(30);
  expect(settledSplit).toBeGreaterThan(1);
}, 180_000);

it("a probe inside the domains: tried at points of the box, its counterexamples end the search, the answers unchanged", async () => {
  const highs = await getSolver("highs");
  let probed = 0;
  let hits = 0;
  await fc.assert(
    fc.asyncProperty(arbNet, arbSpec, async (net, spec) => {
      const { c, rows, box, bounds } = firstConjunction(net, spec);
      const leaf = exactLeaf(net, highs, box, rows);
      // (plain CROWN per domain: looser than the default's, it leaves more domains to probe)
      const opts = { deadline: performance.now() + 20_000, leafUnits: 0, leaf, alphaIterations: 0 };
      const plain = await branchAndBound(net, box, bounds, rows, opts);
      let found: Float64Array | undefined;
      const withProbe = await branchAndBound(net, box, bounds, rows, {
        ...opts,
        probe: async (x) => {
          probed++;
          expect(inBox(c, x)).toBe(true);
          const y = net.forward64(x).logits;
          if (!satisfies(rows, y)) return undefined;
          found = x;
          return { x, y };
        },
      });
      if (plain.status !== "unknown" && withProbe.status !== "unknown")
        expect(withProbe.status).toBe(plain.status);
      if (withProbe.status === "sat" && found) {
        // the probe's point ended the search, sooner than or as soon as the search alone
        expect(withProbe.x).toBe(found);
        expect(withProbe.domains).toBeLessThanOrEqual(plain.domains);
        hits++;
      }
    }),
    { numRuns: 40 },
  );
  expect(probed).toBeGreaterThan(20);
  expect(hits).toBeGreaterThan(0);
}, 180_000);
