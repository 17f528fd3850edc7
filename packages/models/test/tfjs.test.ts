import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  chooseBackend,
  fromLayersArtifacts,
  fromTfjs,
  inputTensor,
  loadModel,
  ModelError,
  meanStd,
  Network,
  saveModel,
  toLayersArtifacts,
  toTfjs,
  useBackend,
} from "../src/index.js";
import { arbNetwork, arbPixels } from "../src/testing.js";

/** TensorFlow.js' float32 logits and the IR's float64 logits agree to float32 round-off. */
async function agree(net: Network, pixels: number[][]): Promise<void> {
  const model = await toTfjs(net);
  const x = inputTensor(net, pixels);
  const y = model.predict(x) as tf.Tensor;
  const got = await y.data();
  tf.dispose([x, y]);
  model.dispose();
  pixels.forEach((p, i) => {
    const want = net.forward64(p).logits;
    const scale = Math.max(1, ...Array.from(want, Math.abs));
    want.forEach((v, j) => {
      expect(
        Math.abs((got[i * want.length + j] as number) - v),
        `logit ${j} of image ${i}`,
      ).toBeLessThanOrEqual(1e-4 * scale);
    });
  });
}

describe("TensorFlow.js conversion", () => {
  beforeAll(async () => {
    await useBackend("cpu");
  });

  it("random networks of every layer kind compute the same logits in TensorFlow.js and in float64", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbNetwork().chain((net) =>
          fc.tuple(fc.constant(net), fc.array(arbPixels(net), { minLength: 1, maxLength: 3 })),
        ),
        async ([net, pixels]) => agree(net, pixels),
      ),
      { numRuns: 60 },
    );
  });

  it("joins reading one value twice (x + x, a concat of x with itself) agree with float64", async () => {
    const net = new Network({
      inputShape: [2, 2, 1],
      layers: [
        { kind: "relu" },
        { kind: "add", inputs: [1, 1] },
        { kind: "concat", inputs: [2, 2, 0] },
        { kind: "flatten" },
      ],
    });
    expect(net.shapes[3]).toEqual([2, 2, 3]);
    await agree(net, [[0, 50, 100, 255]]);
  });

  it("a model built with tf.layers converts to the IR and back", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [6, 6, 2],
          filters: 3,
          kernelSize: 3,
          padding: "same",
          activation: "relu",
          name: "c1",
        }),
        tf.layers.averagePooling2d({ poolSize: 2, name: "p1" }),
        tf.layers.conv2d({ filters: 2, kernelSize: 2, strides: 1, name: "c2" }),
        tf.layers.reLU({ name: "r" }),
        tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: "same", name: "p2" }),
        tf.layers.dropout({ rate: 0.3, name: "d" }),
        tf.layers.flatten({ name: "f" }),
        tf.layers.dense({ units: 4, activation: "softmax", name: "out" }),
      ],
    });
    const net = await fromTfjs(model, meanStd([0.5, 0.5], [0.25, 0.25]));
    expect(net.layers.map((l) => l.kind)).toEqual([
      "conv2d",
      "relu",
      "avgpool",
      "conv2d",
      "relu",
      "maxpool",
      "dropout",
      "flatten",
      "dense",
    ]);
    const px = [Array.from({ length: 72 }, (_, i) => (i * 29) % 256)];
    // the IR keeps logits where Keras ends in softmax: compare labels and softmax(logits)
    const x = inputTensor(net, px);
    const probs = await (model.predict(x) as tf.Tensor).data();
    const logits = net.forward64(px[0]!).logits;
    const e = logits.map((v) => Math.exp(v - Math.max(...logits)));
    const sum = e.reduce((a, b) => a + b, 0);
    e.forEach((v, j) => {
      expect(v / sum).toBeCloseTo(probs[j] as number, 5);
    });
    await agree(net, px);
  });

  it("saves to disk and loads back the same network, with its preprocessing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rho-model-"));
    await fc.assert(
      fc.asyncProperty(arbNetwork({ maxLayers: 3 }), async (net) => {
        await saveModel(net, dir);
        const back = await loadModel(dir);
        expect(back.shapes).toEqual(net.shapes);
        expect(back.inputs).toEqual(net.inputs);
        expect(back.preprocess).toEqual(net.preprocess);
        const px = Array.from({ length: net.inputSize }, (_, i) => (i * 53) % 256);
        expect(Array.from(back.forward64(px).logits)).toEqual(
          Array.from(net.forward64(px).logits).map((v) => v),
        );
        // and TensorFlow.js itself reads the files
        const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
        const weights = readFileSync(join(dir, "weights.bin"));
        const model = await tf.loadLayersModel(
          tf.io.fromMemory({
            modelTopology: json.modelTopology,
            weightSpecs: json.weightsManifest[0].weights,
            weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
          }),
        );
        expect(model.layers.length).toBeGreaterThan(0);
        // and back from the live TensorFlow.js model (what training does): the same graph
        const again = await fromTfjs(model, net.preprocess);
        expect(again.inputs).toEqual(net.inputs);
        expect(Array.from(again.forward64(px).logits)).toEqual(Array.from(net.forward64(px).logits));
        model.dispose();
      }),
      { numRuns: 15 },
    );
  });

  it("reads the Keras converter's layout (model_config wrapper, Keras 3 InputLayer batch_shape)", () => {
    const net = new Network({
      inputShape: [2, 2, 1],
      layers: [
        {
          kind: "conv2d",
          name: "conv2d",
          filters: 1,
          kernel: [2, 2],
          strides: [1, 1],
          padding: "valid",
          weights: Float32Array.from([1, 2, 3, 4]),
          bias: Float32Array.from([0.5]),
        },
        { kind: "flatten", name: "flatten" },
      ],
    });
    const art = toLayersArtifacts(net);
    const topo = art.modelTopology as unknown as {
      config: { layers: { class_name: string; config: Record<string, unknown> }[] };
    };
    const [conv, flat] = topo.config.layers as [
      { config: Record<string, unknown> },
      { class_name: string; config: Record<string, unknown> },
    ];
    delete conv.config.batch_input_shape;
    const keras3 = {
      keras_version: "3.4.1",
      backend: "tensorflow",
      model_config: {
        class_name: "Sequential",
        config: {
          name: "sequential",
          layers: [
            {
              class_name: "InputLayer",
              config: { name: "input_layer", batch_shape: [null, 2, 2, 1], dtype: "float32" },
            },
            conv,
            flat,
          ],
        },
      },
    };
    const back = fromLayersArtifacts({
      ...art,
      modelTopology: keras3 as unknown as typeof art.modelTopology,
    });
    expect(back.shapes).toEqual(net.shapes);
    expect(Array.from(back.forward64([10, 20, 30, 40]).logits)).toEqual(
      Array.from(net.forward64([10, 20, 30, 40]).logits),
    );
  });

  it("rejects unsupported layers and corrupt files with one clear message", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rho-bad-"));
    const bn = tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: [4], name: "bn" })] });
    await expect(fromTfjs(bn)).rejects.toThrow(
      /layer 0 \(BatchNormalization "bn"\): unsupported layer; supported: InputLayer, Conv2D, Dense, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dropout, ReLU, Activation/,
    );
    await expect(loadModel(dir)).rejects.toThrow(/model.json: cannot read the model file \(ENOENT\)/);
    writeFileSync(join(dir, "model.json"), "{ not json");
    await expect(loadModel(dir)).rejects.toThrow(/model.json: invalid JSON/);
    const net = new Network({
      inputShape: [3],
      layers: [{ kind: "dense", units: 2, weights: new Float32Array(6), bias: new Float32Array(2) }],
    });
    await saveModel(net, dir);
    writeFileSync(join(dir, "weights.bin"), new Uint8Array(20));
    await expect(loadModel(dir)).rejects.toThrow(ModelError);
    await expect(loadModel(dir)).rejects.toThrow(
      /the weight data ends before weight dense_0\/kernel \(needs 24 bytes, has 20\)/,
    );
  });
});

describe("backends", () => {
  const present =
    (...mods: string[]) =>
    async (m: string) => {
      if (mods.includes(m)) return {};
      throw new Error(`Cannot find module '${m}'`);
    };
  it("auto picks native TensorFlow when installed (GPU first), else wasm", async () => {
    expect(await chooseBackend("auto", present())).toEqual({ backend: "wasm" });
    expect(await chooseBackend("auto", present("@tensorflow/tfjs-node"))).toEqual({
      backend: "tensorflow",
      module: "@tensorflow/tfjs-node",
    });
    expect(
      await chooseBackend("auto", present("@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu")),
    ).toEqual({
      backend: "tensorflow",
      module: "@tensorflow/tfjs-node-gpu",
    });
    expect(await chooseBackend("cpu", present("@tensorflow/tfjs-node"))).toEqual({ backend: "cpu" });
  });

  it("asking for tensorflow without the native package is a clear error", async () => {
    await expect(chooseBackend("tensorflow", present())).rejects.toThrow(
      /needs @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node, and neither is installed/,
    );
  });

  it("the wasm backend initialises from the package's own files and agrees with float64", async () => {
    expect((await useBackend("wasm", present())).backend).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    await fc.assert(
      fc.asyncProperty(
        arbNetwork().chain((net) =>
          fc.tuple(fc.constant(net), fc.array(arbPixels(net), { minLength: 1, maxLength: 2 })),
        ),
        async ([net, pixels]) => agree(net, pixels),
      ),
      { numRuns: 30 },
    );
    await useBackend("cpu");
  });
});
