import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  accuracy,
  argmax,
  type LabelledImages,
  lenet,
  Network,
  nin,
  train,
  useBackend,
} from "../src/index.js";

const params = (net: Network) =>
  net.layers.reduce((s, l) => s + ("weights" in l ? l.weights.length + l.bias.length : 0), 0);

describe("model zoo", () => {
  it("LeNet is the paper's (Caffe's) architecture with seeded Glorot weights", () => {
    const net = lenet(1);
    expect(net.shapes).toEqual([
      [28, 28, 1],
      [24, 24, 20],
      [12, 12, 20],
      [8, 8, 50],
      [4, 4, 50],
      [800],
      [500],
      [500],
      [10],
    ]);
    expect(params(net)).toBe(520 + 25_050 + 400_500 + 5_010);
    expect(lenet(1).layers).toEqual(net.layers);
    expect(lenet(2).layers).not.toEqual(net.layers);
  });

  it("NiN takes 32×32×3 and ends in global average pooling over 10 maps", () => {
    const net = nin(1);
    expect(net.inputShape).toEqual([32, 32, 3]);
    expect(net.shapes.at(-1)).toEqual([10]);
    expect(net.layers.filter((l) => l.kind === "conv2d")).toHaveLength(9);
  });
});

/** 4×4 images: class 1 has its top half bright, class 0 its bottom half. */
function stripes(count: number): LabelledImages {
  const images = new Uint8Array(count * 16);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 16; p++)
      images[i * 16 + p] = p < 8 === (i % 2 === 1) ? 200 + ((i * 7 + p) % 50) : (i * 3 + p) % 40;
  }
  return { count, images, labels };
}

describe("training and accuracy", () => {
  beforeAll(async () => {
    await useBackend("cpu");
  });

  it("learns a separable task, calls back after every epoch, and resumes from startEpoch", async () => {
    const net = new Network({
      inputShape: [4, 4, 1],
      layers: [
        {
          kind: "conv2d",
          filters: 2,
          kernel: [2, 2],
          strides: [1, 1],
          padding: "valid",
          weights: Float32Array.from({ length: 8 }, (_, i) => Math.sin(i) / 2),
          bias: new Float32Array(2),
        },
        { kind: "relu" },
        { kind: "flatten" },
        {
          kind: "dense",
          units: 2,
          weights: Float32Array.from({ length: 36 }, (_, i) => Math.cos(i) / 4),
          bias: new Float32Array(2),
        },
      ],
    });
    const data = stripes(64);
    const epochs: number[] = [];
    const trained = await train(net, data, {
      epochs: 30,
      batchSize: 16,
      learningRate: 0.05,
      onEpochEnd: (e) => {
        epochs.push(e);
      },
    });
    expect(epochs).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const acc = await accuracy(trained, data);
    expect(acc.accuracy).toBe(1);
    // tfjs' predictions are the float64 forward pass's
    for (let i = 0; i < 8; i++)
      expect(argmax(trained.forward64(data.images.subarray(i * 16, i * 16 + 16)).logits)).toBe(
        data.labels[i],
      );
    const resumed: number[] = [];
    await train(trained, data, { epochs: 3, startEpoch: 2, onEpochEnd: (e) => void resumed.push(e) });
    expect(resumed).toEqual([2]);
    expect(tf.memory().numTensors).toBeLessThan(50);
  });
});
