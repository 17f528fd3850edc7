// ONNX import against PyTorch: committed fixtures exported by torch (fixtures/onnx/make.py
// regenerates them) with the logits torch computed beside them.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import onnxProto from "onnx-proto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  foldedOnImport,
  inputTensor,
  loadModel,
  ModelError,
  modelFiles,
  type Network,
  toTfjs,
  useBackend,
} from "../src/index.js";

const DIR = join(import.meta.dirname, "fixtures", "onnx");
const fixture = (name: string) => join(DIR, `${name}.onnx`);
interface Expected {
  inputs: { pixels: number[]; logits: number[] }[];
}
const expected = (name: string): Expected =>
  JSON.parse(readFileSync(join(DIR, `${name}.expected.json`), "utf8")) as Expected;

/** |a − b| ≤ 1e-5 · max(1, max |logit|): float32 round-off, relative to the logits' scale. */
function close(got: ArrayLike<number>, want: readonly number[], what: string): void {
  const scale = Math.max(1, ...want.map(Math.abs));
  want.forEach((v, j) => {
    expect(Math.abs((got[j] as number) - v), `${what}, logit ${j}`).toBeLessThanOrEqual(1e-5 * scale);
  });
}

async function tfjsLogits(net: Network, pixels: number[][]): Promise<Float32Array> {
  const model = await toTfjs(net);
  const x = inputTensor(net, pixels);
  const y = model.predict(x) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  model.dispose();
  return out;
}

beforeAll(async () => {
  await useBackend("cpu");
});

// [fixture, its expected logits, the layers rho builds]
const CASES: [string, string, string][] = [
  ["lenet", "lenet", "conv2d,maxpool,conv2d,maxpool,flatten,dense,relu,dense"],
  ["lenet-opset9", "lenet", "conv2d,maxpool,conv2d,maxpool,flatten,dense,relu,dense"],
  ["lenet-opset17", "lenet", "conv2d,maxpool,conv2d,maxpool,flatten,dense,relu,dense"],
  ["mlp", "mlp", "flatten,dense,relu,dense,relu,dense"],
  // Normalize folded into the preprocessing, zero Pad dropped, the final Softmax dropped
  ["normnet", "normnet", "conv2d,relu,avgpool,conv2d,relu,maxpool,flatten,dense"],
  ["normnet-opset9", "normnet", "conv2d,relu,avgpool,conv2d,relu,maxpool,flatten,dense"],
  ["nin", "nin", "conv2d,relu,conv2d,relu,maxpool,conv2d,relu,conv2d,globalavgpool"],
  ["nin-opset17", "nin", "conv2d,relu,conv2d,relu,maxpool,conv2d,relu,conv2d,globalavgpool"],
  ["nin-reducemean", "nin", "conv2d,relu,conv2d,relu,maxpool,conv2d,relu,conv2d,globalavgpool"],
  // AvgPool2d(count_include_pad=True) exported as a zero Pad + AveragePool: an averaging conv;
  // count_include_pad=False: an AveragePool with "same" pads
  ["avgpad", "avgpad", "conv2d,relu,avgpool,avgpool,maxpool,flatten,dense"],
  // explicit pads: PyTorch's padding=1 that is not TensorFlow's "same" (a max-pool's pads are −∞)
  ["pads", "pads", "conv2d,maxpool,flatten,dense"],
  // ResNet's stem: a stride-2 conv padded by 1 + batch norm (folded), a padded 3×3/2 max-pool
  ["resnet-stem", "resnet-stem", "conv2d,relu,maxpool,flatten,dense"],
  // a ceil-mode max-pool that adds a window, average pools leaving padding out and counting it
  ["pools", "pools", "conv2d,relu,maxpool,avgpool,avgpool,flatten,dense"],
  // graphs: a residual block (Add of two computed values) on MNIST
  ["residual-mnist", "residual-mnist", "conv2d,relu,conv2d,relu,conv2d,add,relu,maxpool,flatten,dense"],
  // a small CIFAR ResNet: identity and strided projection shortcuts, batch norms folded
  [
    "resnet-cifar",
    "resnet-cifar",
    "conv2d,relu,conv2d,relu,conv2d,conv2d,add,relu,conv2d,relu,conv2d,conv2d,add,relu,globalavgpool,dense",
  ],
  // inception-style branches (1×1, padded 3×3, padded max-pool) concatenated on channels
  ["branches", "branches", "conv2d,conv2d,maxpool,concat,relu,maxpool,flatten,dense"],
  // dense branches concatenated on features
  ["vector-concat", "vector-concat", "flatten,dense,dense,concat,relu,dense"],
  // grouped and dilated convolutions (expanded kernels), Mul and Add by constants after a ReLU (a
  // diagonal 1×1 convolution), a zero Pad before a max-pool (an identity convolution writes it)
  ["ops", "ops", "conv2d,relu,conv2d,conv2d,relu,conv2d,conv2d,maxpool,flatten,dense"],
  // the dynamo exporter's shape: Transpose + MatMul + Add in local functions, external data
  ["mlp-functions", "mlp", "flatten,dense,relu,dense,relu,dense"],
  // an NHWC colour input made NCHW by a leading Transpose (tf2onnx's export): rho's own layout
  ["conv-nhwc", "conv-nhwc", "conv2d,relu,maxpool,flatten,dense"],
  // VNN-COMP mnistfc's input [N, 784, 1]
  ["mlp-nd1", "mlp-nd1", "dense,relu,dense"],
  // batch norms folded: at the input into the preprocessing, after a Gemm into its units (torch
  // fused the one after the Conv itself)
  ["bn", "bn", "conv2d,relu,maxpool,flatten,dense,relu,dense"],
  // Conv → BatchNormalization left unfused: folded into the convolution's filters
  ["conv-bn", "conv-bn", "conv2d,relu,flatten,dense"],
  // x.view(x.size(0), -1): Shape → Gather → Unsqueeze → Concat → Reshape folded to a flatten
  ["view", "view", "conv2d,relu,maxpool,flatten,dense"],
];

describe("ONNX import (fixtures exported by PyTorch)", () => {
  for (const [name, exp, kinds] of CASES) {
    it(`${name}: layers ${kinds}; logits equal PyTorch's in float64 and in tfjs`, async () => {
      const net = await loadModel(fixture(name));
      expect(net.layers.map((l) => l.kind).join(",")).toBe(kinds);
      const { inputs } = expected(exp);
      for (const [i, e] of inputs.entries())
        close(net.forward64(e.pixels).logits, e.logits, `input ${i} (float64)`);
      const got = await tfjsLogits(
        net,
        inputs.map((e) => e.pixels),
      );
      const k = inputs[0]?.logits.length as number;
      for (const [i, e] of inputs.entries())
        close(got.subarray(i * k, (i + 1) * k), e.logits, `input ${i} (tfjs)`);
    });
  }

  it("says what it folded: batch norms and shape arithmetic", async () => {
    expect(foldedOnImport(await loadModel(fixture("bn")))).toEqual([
      expect.stringMatching(/^BatchNormalization /),
      expect.stringMatching(/^BatchNormalization /),
    ]);
    expect(foldedOnImport(await loadModel(fixture("view")))).toEqual([expect.stringMatching(/^Shape /)]);
    expect(foldedOnImport(await loadModel(fixture("mlp")))).toEqual([]);
  });

  it("never guesses a layout: an NHWC input flattened first needs --input-layout, then imports right", async () => {
    // read as NCHW, [N, 28, 28, 1] would be a 28-channel 28×1 image: every digit flattened transposed
    await refuse(
      fixture("mlp-nhwc"),
      /the input \[N,28,28,1\] reaches Reshape .* does not say whether it is NCHW or NHWC; name it: rho convert --input-layout nchw\|nhwc/,
    );
    const net = await loadModel(fixture("mlp-nhwc"), undefined, { inputLayout: "nhwc" });
    expect(net.inputShape).toEqual([28, 28, 1]);
    for (const e of expected("mlp-nhwc").inputs) close(net.forward64(e.pixels).logits, e.logits, "nhwc");
    // the graph's own word wins over a contradicting flag
    const err = await loadModel(fixture("conv-nhwc"), undefined, { inputLayout: "nchw" }).catch((e) => e);
    expect((err as Error).message).toMatch(/--input-layout nchw contradicts the graph: its first Transpose/);
    // [N, 1, H, W] flattened: both readings feed the same pixels, nothing to ask
    expect((await loadModel(fixture("mlp"))).inputShape).toEqual([28, 28, 1]);
  });

  it("folds a Normalize inside the model into the preprocessing after rho.json's mapping", async () => {
    const net = await loadModel(fixture("normnet"));
    expect(net.preprocess.scale[0]).toBeCloseTo(1 / 255 / 0.3081, 7);
    expect(net.preprocess.shift[0]).toBeCloseTo(-0.1307 / 0.3081, 6);
    // rho.json beside the .onnx says the model takes raw pixels: the same logits on pixel · 255
    const dir = mkdtempSync(join(tmpdir(), "rho-onnx-"));
    copyFileSync(fixture("normnet"), join(dir, "normnet.onnx"));
    writeFileSync(join(dir, "rho.json"), JSON.stringify({ preprocess: { scale: [1], shift: [0] } }));
    const raw = await loadModel(join(dir, "normnet.onnx"));
    const e = expected("normnet").inputs[1] as { pixels: number[]; logits: number[] };
    close(raw.forward64(e.pixels.map((p) => p / 255)).logits, e.logits, "raw-pixel model");
    expect((await modelFiles(join(dir, "normnet.onnx"))).map((f) => f.name)).toEqual([
      "normnet.onnx",
      "rho.json",
    ]);
  });

  it("names the external data file among the model's files (the run identity hashes them)", async () => {
    expect((await modelFiles(fixture("mlp-functions"))).map((f) => f.name)).toEqual([
      "mlp-functions.onnx",
      "mlp-functions.onnx.data",
    ]);
  });

  const refuse = async (path: string, message: RegExp) => {
    const err = await loadModel(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("\n");
  };

  it("refuses unsupported ops and paddings, naming the node, the op and the supported list", async () => {
    await refuse(
      fixture("sigmoid"),
      /node 2 "\/2\/Sigmoid" \(Sigmoid\) is not supported; supported ops: Conv, Relu/,
    );
  });

  it("refuses a dilated pool, naming the node and what is unsupported", async () => {
    const { onnx } = onnxProto;
    const model = onnx.ModelProto.decode(readFileSync(fixture("pads")));
    const pool = (model.graph?.node ?? []).find((n) => n.opType === "MaxPool") as { attribute: unknown[] };
    pool.attribute.push(
      onnx.AttributeProto.create({
        name: "dilations",
        type: onnx.AttributeProto.AttributeType.INTS,
        ints: [2, 2],
      }),
    );
    const dir = mkdtempSync(join(tmpdir(), "rho-onnx-"));
    writeFileSync(join(dir, "dilated.onnx"), onnx.ModelProto.encode(model).finish());
    await refuse(join(dir, "dilated.onnx"), /\(MaxPool\): dilations other than 1; supported ops:/);
  });

  it("refuses truncated, corrupt and empty files, and a missing external data file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rho-onnx-"));
    const bytes = readFileSync(fixture("lenet"));
    for (const [name, data] of [
      ["truncated.onnx", bytes.subarray(0, bytes.length >> 1)],
      ["garbage.onnx", Buffer.from("this is not protobuf at all \x00\xff\xfe")],
      ["empty.onnx", Buffer.alloc(0)],
    ] as const) {
      writeFileSync(join(dir, name), data);
      await refuse(join(dir, name), /not (a readable )?(an )?ONNX model|tensor|node/);
    }
    copyFileSync(fixture("mlp-functions"), join(dir, "mlp-functions.onnx"));
    await refuse(
      join(dir, "mlp-functions.onnx"),
      /external data: "mlp-functions\.onnx\.data" is not in the model's folder/,
    );
  });

  it("refuses a Transpose that reorders an image's data (NCHW → NHWC)", async () => {
    const { onnx } = onnxProto;
    const model = onnx.ModelProto.decode(readFileSync(fixture("nin")));
    const nodes = model.graph?.node ?? [];
    const relu = nodes.findIndex((n) => n.opType === "Relu");
    const node = nodes[relu] as { input: string[] };
    const conv = node.input[0] as string;
    node.input = ["nhwc"];
    const perm = onnx.AttributeProto.create({
      name: "perm",
      type: onnx.AttributeProto.AttributeType.INTS,
      ints: [0, 2, 3, 1],
    });
    nodes.splice(
      relu,
      0,
      onnx.NodeProto.create({
        opType: "Transpose",
        name: "to_nhwc",
        input: [conv],
        output: ["nhwc"],
        attribute: [perm],
      }),
    );
    const dir = mkdtempSync(join(tmpdir(), "rho-onnx-"));
    writeFileSync(join(dir, "nhwc.onnx"), onnx.ModelProto.encode(model).finish());
    await refuse(
      join(dir, "nhwc.onnx"),
      /"to_nhwc" \(Transpose\): perm \[0,2,3,1\] changes the data, not only its layout/,
    );
  });

  it("refuses a dynamic dimension other than the batch", async () => {
    const { onnx } = onnxProto;
    const model = onnx.ModelProto.decode(readFileSync(fixture("mlp")));
    const dim = model.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[2];
    if (!dim) throw new Error("fixture has no input dims");
    dim.dimParam = "height";
    dim.dimValue = null;
    const dir = mkdtempSync(join(tmpdir(), "rho-onnx-"));
    writeFileSync(join(dir, "dynamic.onnx"), onnx.ModelProto.encode(model).finish());
    await refuse(join(dir, "dynamic.onnx"), /dynamic dimension other than the batch: \[\?,1,\?,28\]/);
  });
});
