// The verifier on random small networks over two inputs, checked against a dense grid: an unsat
// answer has no violating grid point, a sat answer's counterexample replays.
import { Network, rawPixels, useBackend } from "@rho/models";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { counterexampleText, parseVnnlib, VerifyInputError, verifyProperty } from "../src/index.js";
import { expectAnswerHolds } from "./answers.js";

beforeAll(async () => {
  await useBackend("cpu");
});

const weights = (n: number) => fc.array(fc.integer({ min: -30, max: 30 }), { minLength: n, maxLength: n });

/** 2 → h → ReLU → 3 with small integer-tenth weights: the input is the property's X directly. */
const arbNet = fc
  .integer({ min: 2, max: 5 })
  .chain((h) => fc.tuple(fc.constant(h), weights(2 * h), weights(h), weights(3 * h), weights(3)))
  .map(
    ([h, w1, b1, w2, b2]) =>
      new Network({
        inputShape: [2],
        preprocess: rawPixels(1),
        layers: [
          {
            kind: "dense",
            units: h,
            weights: Float32Array.from(w1, (v) => v / 10),
            bias: Float32Array.from(b1, (v) => v / 10),
          },
          { kind: "relu" },
          {
            kind: "dense",
            units: 3,
            weights: Float32Array.from(w2, (v) => v / 10),
            bias: Float32Array.from(b2, (v) => v / 10),
          },
        ],
      }),
  );

/** A box in [−2, 2]² and "Y_a ≥ Y_b" (+ maybe a constant bound) as the unsafe output condition. */
const arbSpec = fc
  .tuple(
    fc.integer({ min: -20, max: 20 }),
    fc.integer({ min: 1, max: 20 }),
    fc.integer({ min: -20, max: 20 }),
    fc.integer({ min: 1, max: 20 }),
    fc.integer({ min: 0, max: 2 }),
    fc.integer({ min: 1, max: 2 }),
    fc.option(fc.integer({ min: -10, max: 10 })),
  )
  .map(([x0, w0, x1, w1, a, shift, c]) => {
    const b = (a + shift) % 3;
    const box = `(assert (>= X_0 ${x0 / 10})) (assert (<= X_0 ${(x0 + w0) / 10})) (assert (>= X_1 ${x1 / 10})) (assert (<= X_1 ${(x1 + w1) / 10}))`;
    const extra = c === null ? "" : ` (<= Y_${a} ${c / 10})`;
    return `(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) (declare-const Y_1 Real) (declare-const Y_2 Real)
${box}
(assert (and (>= Y_${a} Y_${b})${extra}))`;
  });

describe("verifyProperty", () => {
  it("unsat agrees with a dense grid; every sat counterexample replays", async () => {
    const answers = { sat: 0, unsat: 0, other: 0 };
    await fc.assert(
      fc.asyncProperty(arbNet, arbSpec, async (net, text) => {
        const spec = parseVnnlib(text);
        const r = await verifyProperty(net, spec, { timeout: 20, restarts: 3, steps: 40 });
        expectAnswerHolds(net, spec, r);
        if (r.status === "sat") answers.sat++;
        else if (r.status === "unsat") answers.unsat++;
        else answers.other++;
        expect(r.status).not.toBe("timeout");
      }),
      { numRuns: 60 },
    );
    // both answers occur, so neither half of the property is vacuous
    expect(answers.sat).toBeGreaterThan(0);
    expect(answers.unsat).toBeGreaterThan(0);
  }, 120_000);

  it("writes the counterexample as VNN-COMP does, and refuses a spec of another size", async () => {
    expect(counterexampleText([0.5, 1], [2])).toBe("((X_0 0.5)\n (X_1 1)\n (Y_0 2))\n");
    const net = new Network({
      inputShape: [3],
      preprocess: rawPixels(1),
      layers: [{ kind: "dense", units: 2, weights: new Float32Array(6), bias: new Float32Array(2) }],
    });
    const spec = parseVnnlib(
      "(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 0)) (assert (<= X_0 1))",
    );
    await expect(verifyProperty(net, spec)).rejects.toThrow(VerifyInputError);
    await expect(verifyProperty(net, spec)).rejects.toThrow(/1 inputs, the network 3/);
  });
});
