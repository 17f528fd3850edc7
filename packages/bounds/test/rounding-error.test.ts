// The float32 error bound against the float32 network itself: at random points of random boxes,
// TensorFlow.js's float32 logits lie within the bound of the float64 ones.
import { inputTensor, prng, toTfjs, useBackend } from "@rho/models";
import { arbNetwork, arbPixels } from "@rho/models/testing";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ballBox, crownBounds, float32ErrorBound } from "../src/index.js";

beforeAll(async () => {
  await useBackend("cpu");
});

describe("float32ErrorBound", () => {
  it("bounds |float32 − float64| logit by logit on random networks and boxes", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net))),
        fc.double({ min: 0.5, max: 40, noNaN: true }),
        async ([net, px], eps) => {
          const pixels = ballBox(px, eps, [0, 255]);
          const { bounds } = crownBounds(net, pixels);
          const e = float32ErrorBound(net, bounds, pixels);
          const rand = prng(5);
          const points = Array.from({ length: 8 }, () =>
            Float64Array.from(pixels.lo, (l, i) => l + rand() * ((pixels.hi[i] as number) - l)),
          );
          const model = await toTfjs(net);
          const y32 = tf.tidy(() => model.predict(inputTensor(net, points)) as tf.Tensor);
          const data = await y32.data();
          y32.dispose();
          model.dispose();
          const k = net.outputSize;
          points.forEach((x, p) => {
            const y64 = net.forward64(x).logits;
            for (let j = 0; j < k; j++)
              expect(Math.abs((data[p * k + j] as number) - (y64[j] as number))).toBeLessThanOrEqual(
                e[j] as number,
              );
          });
          // and it is an error bound, not a magnitude: small against the logits
          for (let j = 0; j < k; j++) {
            const span = Math.max(
              Math.abs(bounds[bounds.length - 1]?.lo[j] ?? 0),
              Math.abs(bounds[bounds.length - 1]?.hi[j] ?? 0),
            );
            expect(e[j] as number).toBeLessThanOrEqual(1e-3 * (1 + span));
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
