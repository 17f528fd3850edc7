import { alp } from "@rho/attacks";
import { image, loadMnist, subset } from "@rho/datasets";
import { accuracy, argmax, loadModel, predictLabels, useBackend } from "@rho/models";
import { describe, expect, it } from "vitest";
import { resolveModel } from "../src/inputs.js";

describe("the shipped LeNet", () => {
  it("is the paper's architecture and classifies at least 98.8% of the MNIST test images", async () => {
    const net = await loadModel(resolveModel("lenet"));
    expect(net.layers.map((l) => l.kind)).toEqual([
      "conv2d",
      "maxpool",
      "conv2d",
      "maxpool",
      "flatten",
      "dense",
      "relu",
      "dense",
    ]);
    await useBackend("wasm", async () => {
      throw new Error("no native TensorFlow in tests");
    });
    const test = loadMnist("test");
    const acc = await accuracy(net, test);
    expect(acc.accuracy).toBeGreaterThanOrEqual(0.988);
    // the float64 forward pass predicts what TensorFlow.js predicts (a float32 near-tie may flip one)
    const sample = subset(
      test,
      Array.from({ length: 100 }, (_, i) => i * 97),
    );
    const tfjsLabels = await predictLabels(net, sample);
    let agree = 0;
    for (let i = 0; i < sample.count; i++) {
      if (argmax(net.forward64(sample.images.subarray(i * 784, (i + 1) * 784)).logits) === tfjsLabels[i])
        agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(99);
  });

  it("alp on test point 36: the LP optimum at 28.04 pixels, also where HiGHS leaves its vertex ~1e-6 outside a row", async () => {
    // with t ≤ 32 (alp's default maxEps) HiGHS's postsolved optimum lies 1.6e-6 outside a region
    // row; the adapter re-solves from that basis without presolve, so the point is not an error
    const net = await loadModel(resolveModel("lenet"));
    const test = loadMnist("test");
    const point = { pixels: image(test, 36), label: test.labels[36] as number };
    const bounded = await alp.run({ net }, point, { descent: false });
    const open = await alp.run({ net }, point, { descent: false, maxEps: 255 });
    expect(bounded.status, JSON.stringify(bounded).slice(0, 400)).toBe("adversarial");
    expect(open.status).toBe("adversarial");
    expect(bounded.rho).toBeCloseTo(28.0396, 3);
    expect(bounded.rho).toBeCloseTo(open.rho, 6);
  }, 60_000);
});
