// Branch and bound against the MILP on the whole box, on random two-hidden-layer networks over two
// inputs: split to the end (every leaf an LP), it gives the MILP's answer, an unsat holds on a
// dense grid, and a sat counterexample replays.
import { useBackend } from "@rho/models";
import { arbTwoHidden } from "@rho/models/testing";
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import { parseVnnlib, verifyProperty } from "../src/index.js";
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
