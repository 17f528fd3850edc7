// ONNX import against an independent runtime: onnxruntime (its CPU build, inside the npm package)
// runs each fixture's original graph, rho its imported and simplified network (batch norms,
// normalisation, shape arithmetic folded; pads, joins and layouts mapped to rho's IR). On random
// inputs the logits agree: the simplification computes the same function.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel, type Network } from "../src/index.js";
import { decodeModel, inputDims } from "../src/onnx/proto.js";

const DIR = join(import.meta.dirname, "fixtures", "onnx");

// every fixture that imports; "nhwc": its input is [N, H, W, C] (rho's own order), else NCHW or flat
const FIXTURES: [string, "nhwc"?][] = [
  ["lenet"],
  ["lenet-opset9"],
  ["lenet-opset17"],
  ["mlp"],
  ["normnet"],
  ["normnet-opset9"],
  ["nin"],
  ["nin-opset17"],
  ["nin-reducemean"],
  ["avgpad"],
  ["pads"],
  ["pools"],
  ["resnet-stem"],
  ["bn"],
  ["conv-bn"],
  ["view"],
  ["mlp-functions"],
  ["mlp-nhwc", "nhwc"],
  ["conv-nhwc", "nhwc"],
  ["mlp-nd1"],
  ["residual-mnist"],
  ["resnet-cifar"],
  ["branches"],
  ["vector-concat"],
  ["ops"],
];

/** The ONNX input tensor for raw pixels (rho's channels-last order): pixel / 255 in the graph's layout. */
function onnxInput(
  net: Network,
  dims: readonly (number | null)[],
  pixels: readonly number[],
  nhwc: boolean,
): ort.Tensor {
  const shape = [1, ...dims.slice(1).map((d) => d as number)];
  const x = Float32Array.from(pixels, (v) => v / 255);
  if (shape.length !== 4 || nhwc) return new ort.Tensor("float32", x, shape);
  // NCHW: planes, where rho interleaves channels
  const [h, w, c] = net.inputShape as [number, number, number];
  const planar = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) planar[(k % c) * h * w + Math.floor(k / c)] = x[k] as number;
  return new ort.Tensor("float32", planar, shape);
}

function softmaxOf(z: Float64Array): Float64Array {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

describe("ONNX import against onnxruntime (an independent oracle)", () => {
  const sessions: ort.InferenceSession[] = [];
  beforeAll(() => {
    ort.env.logLevel = "error";
  });
  afterAll(async () => {
    for (const s of sessions) await s.release();
  });

  for (const [name, layout] of FIXTURES) {
    it(`${name}: rho's float64 logits equal onnxruntime's on random inputs`, async () => {
      const file = join(DIR, `${name}.onnx`);
      const net = await loadModel(file, undefined, name === "mlp-nhwc" ? { inputLayout: "nhwc" } : {});
      const model = decodeModel(readFileSync(file), file);
      const inputName = (model.graph?.input ?? []).find(
        (i) => !(model.graph?.initializer ?? []).some((t) => t.name === i.name),
      )?.name as string;
      const dims = inputDims(model, inputName) as (number | null)[];
      const softmax = (model.graph?.node ?? []).at(-1)?.opType === "Softmax";
      const session = await ort.InferenceSession.create(file);
      sessions.push(session);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 255 }), { minLength: net.inputSize, maxLength: net.inputSize }),
          async (pixels) => {
            const out = await session.run({ [inputName]: onnxInput(net, dims, pixels, layout === "nhwc") });
            const want = Array.from(out[session.outputNames[0] as string]?.data as Float32Array);
            // rho keeps the logits where the graph ends in a softmax (the labels are the same)
            const logits = net.forward64(pixels).logits;
            const got = softmax ? softmaxOf(logits) : logits;
            const scale = Math.max(1, ...want.map(Math.abs));
            expect(got.length).toBe(want.length);
            want.forEach((v, j) => {
              expect(Math.abs((got[j] as number) - v), `logit ${j}`).toBeLessThanOrEqual(1e-4 * scale);
            });
          },
        ),
        { numRuns: 10 },
      );
    });
  }
});
