import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { registerAvgPoolGradient, useBackend } from "../src/index.js";

registerAvgPoolGradient();

const arbPool = fc
  .record({
    h: fc.integer({ min: 1, max: 7 }),
    w: fc.integer({ min: 1, max: 7 }),
    c: fc.integer({ min: 1, max: 2 }),
    k: fc.integer({ min: 1, max: 3 }),
    s: fc.integer({ min: 1, max: 3 }),
    pad: fc.constantFrom<"valid" | "same">("valid", "same"),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .filter(({ h, w, k, pad }) => pad === "same" || (k <= h && k <= w));

describe("average-pool gradient", () => {
  for (const backend of ["cpu", "wasm"] as const)
    it(`${backend}: equals the forward pass's exact differences, 'same' windows over the border included`, async () => {
      await useBackend(backend);
      fc.assert(
        fc.property(arbPool, ({ h, w, c, k, s, pad, seed }) => {
          const n = h * w * c;
          // loss = Σ u ⊙ avgPool(x): linear in x, so f(x + e_i) − f(x) is its exact gradient
          const out = tf.tidy(() => tf.avgPool(tf.zeros([1, h, w, c]) as tf.Tensor4D, k, s, pad).shape);
          const u = Float32Array.from({ length: out.reduce((a, b) => a * b, 1) }, (_, i) =>
            Math.cos(seed + i * 1.3),
          );
          const loss = (x: tf.Tensor) =>
            tf.sum(tf.mul(tf.avgPool(x as tf.Tensor4D, k, s, pad), tf.tensor(u, out))) as tf.Scalar;
          const grad = tf.tidy(() =>
            tf
              .grad(loss)(tf.zeros([1, h, w, c]))
              .dataSync(),
          );
          for (let i = 0; i < n; i++) {
            const e = new Float32Array(n);
            e[i] = 1;
            const diff = tf.tidy(() => loss(tf.tensor(e, [1, h, w, c])).dataSync()[0] as number);
            expect(grad[i]).toBeCloseTo(diff, 5);
          }
        }),
        { numRuns: 60 },
      );
    });
});
