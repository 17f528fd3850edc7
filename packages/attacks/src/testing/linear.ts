// Two-label linear classifiers on two raw pixels: the one family where the true ρ has a closed
// form, ρ = gap / ‖w₀ − w₁‖₁ (an L∞ step moves the logit gap by at most ‖Δw‖₁ per pixel).
import { argmax, Network, rawPixels } from "@rho/models";
import fc from "fast-check";

/** z = x·W + (0, 3) with W = [[w₀, w₁], [w₂, w₃]] (input-major); its label at px, gap and exact ρ (∞ if Δw = 0). */
export function linear2(w: readonly number[], px: readonly number[]) {
  const net = new Network({
    inputShape: [2],
    preprocess: rawPixels(1),
    layers: [{ kind: "dense", units: 2, weights: Float32Array.from(w), bias: Float32Array.of(0, 3) }],
  });
  const z = net.forward64(px).logits;
  const dw = Math.abs((w[0] as number) - (w[1] as number)) + Math.abs((w[2] as number) - (w[3] as number));
  const gap = Math.abs((z[0] as number) - (z[1] as number));
  return { net, label: argmax(z), gap, dw, rho: dw === 0 ? Number.POSITIVE_INFINITY : gap / dw };
}

export const arbWeights2 = fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 4, maxLength: 4 });
export const arbPixels2 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 2, maxLength: 2 });
