import { LinearRegion } from "@rho/encoders";
import { arbNetwork, arbPixels } from "@rho/models/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchLogits, marginGradients } from "../src/gradients.js";

const netAndPixels = arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net)));

describe("the walk's linearisation", () => {
  it("marginGradients equal the margins' exact affine forms on the linear region (float32)", async () => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        // (average pools included: @rho/models registers the exact 'same'-padding gradient)
        const target = 0;
        const others = Array.from({ length: net.outputSize - 1 }, (_, j) => j + 1);
        const grads = await marginGradients({ net }, px, target, others);
        const region = new LinearRegion(net, px);
        others.forEach((j, r) => {
          // the float64 reverse pass of the encoder: z_target − z_j as a·pixels + c on the region
          const form = region.combination(net.layers.length, [target, j], [1, -1]);
          const exact = new Float64Array(net.inputSize);
          form.indices.forEach((p, k) => {
            exact[p] = form.values[k] as number;
          });
          const g = grads[r] as Float64Array;
          const scale = Math.max(1e-3, ...Array.from(exact, Math.abs));
          // off a region boundary the two agree; a ReLU or max-pool tie lets autograd pick another side
          if (region.ties > 0) return;
          checked++;
          exact.forEach((v, i) => {
            expect(Math.abs((g[i] as number) - v)).toBeLessThan(1e-3 * scale);
          });
        });
      }),
      { numRuns: 60 },
    );
    expect(checked).toBeGreaterThan(20); // enough networks without ties
  }, 60_000);

  it("batchLogits equal the float64 forward pass to float32 precision", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbNetwork().chain((net) =>
          fc.tuple(fc.constant(net), fc.array(arbPixels(net), { minLength: 1, maxLength: 4 })),
        ),
        async ([net, images]) => {
          const z32 = await batchLogits({ net }, images);
          expect(z32).toHaveLength(images.length);
          images.forEach((px, i) => {
            const z = net.forward64(px).logits;
            const scale = Math.max(1, ...Array.from(z, Math.abs));
            z.forEach((v, k) => {
              expect(Math.abs((z32[i]?.[k] as number) - v)).toBeLessThan(1e-4 * scale);
            });
          });
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});
