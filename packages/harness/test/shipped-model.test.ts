import { loadMnist, subset } from "@rho/datasets";
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
});
