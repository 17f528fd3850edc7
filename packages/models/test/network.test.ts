import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Conv2d, type Layer, ModelError, meanStd, Network, prng, rawPixels } from "../src/index.js";
import { arbNetwork, arbPixels } from "../src/testing.js";

const f32 = (...v: number[]) => Float32Array.from(v);
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-9) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThanOrEqual(tol);
};
const raw = (shape: [number, number, number] | [number], layers: Layer[]) =>
  new Network({ inputShape: shape, preprocess: rawPixels(shape.length === 3 ? shape[2] : 1), layers });

describe("shapes and validation", () => {
  it("computes TensorFlow's valid and same output sizes", () => {
    const net = raw(
      [28, 28, 1],
      [
        {
          kind: "conv2d",
          filters: 20,
          kernel: [5, 5],
          strides: [1, 1],
          padding: "valid",
          weights: new Float32Array(500),
          bias: new Float32Array(20),
        },
        { kind: "maxpool", size: [2, 2], strides: [2, 2], padding: "valid" },
        {
          kind: "conv2d",
          filters: 4,
          kernel: [3, 3],
          strides: [2, 2],
          padding: "same",
          weights: new Float32Array(3 * 3 * 20 * 4),
          bias: new Float32Array(4),
        },
        { kind: "avgpool", size: [3, 3], strides: [2, 2], padding: "same" },
        { kind: "flatten" },
      ],
    );
    expect(net.shapes).toEqual([[28, 28, 1], [24, 24, 20], [12, 12, 20], [6, 6, 4], [3, 3, 4], [36]]);
  });

  it.each<[string, Layer[], RegExp]>([
    [
      "dense on an image",
      [{ kind: "dense", units: 2, weights: new Float32Array(8), bias: new Float32Array(2) }],
      /layer 0 \(dense\): expects a flat input, got 2×2×1 \(add a flatten layer before it\)/,
    ],
    [
      "wrong conv weights",
      [
        {
          kind: "conv2d",
          name: "c1",
          filters: 2,
          kernel: [2, 2],
          strides: [1, 1],
          padding: "valid",
          weights: new Float32Array(7),
          bias: new Float32Array(2),
        },
      ],
      /layer 0 \(conv2d "c1"\): has 7 weights, expected 2×2×1×2 = 8/,
    ],
    [
      "a kernel larger than the input",
      [
        {
          kind: "conv2d",
          filters: 1,
          kernel: [3, 3],
          strides: [1, 1],
          padding: "valid",
          weights: new Float32Array(9),
          bias: new Float32Array(1),
        },
      ],
      /does not fit the 2×2 input/,
    ],
    [
      "a bad dropout rate",
      [{ kind: "dropout", rate: 1.5 }],
      /layer 0 \(dropout\): rate 1.5 is not in \[0, 1\)/,
    ],
    ["an unknown kind", [{ kind: "lstm" } as unknown as Layer], /layer 0: unknown layer kind "lstm"/],
    [
      "a NaN weight",
      [{ kind: "flatten" }, { kind: "dense", units: 1, weights: f32(1, Number.NaN, 1, 1), bias: f32(0) }],
      /layer 1 \(dense\): non-finite weight/,
    ],
  ])("rejects %s, naming the layer", (_, layers, message) => {
    expect(() => raw([2, 2, 1], layers)).toThrow(ModelError);
    expect(() => raw([2, 2, 1], layers)).toThrow(message);
  });

  it("rejects bad inputs and preprocessing", () => {
    expect(() => new Network({ inputShape: [0, 2, 1], layers: [{ kind: "relu" }] })).toThrow(/input shape/);
    expect(
      () => new Network({ inputShape: [2, 2, 3], preprocess: rawPixels(1), layers: [{ kind: "relu" }] }),
    ).toThrow(/1 scales and 1 shifts for 3 input channels/);
    const net = raw([2], [{ kind: "relu" }]);
    expect(() => net.forward64([1, 2, 3])).toThrow(/takes 2 values \(2\), got 3/);
  });
});

describe("float64 forward pass", () => {
  it("computes a small network by hand", () => {
    // 2×2×1 → conv 2×2 (1 filter) → relu → flatten → dense 2
    const net = raw(
      [2, 2, 1],
      [
        {
          kind: "conv2d",
          filters: 1,
          kernel: [2, 2],
          strides: [1, 1],
          padding: "valid",
          weights: f32(1, -1, 2, 0.5),
          bias: f32(-1),
        },
        { kind: "relu" },
        { kind: "flatten" },
        { kind: "dense", units: 2, weights: f32(3, -2), bias: f32(0.5, 1) },
      ],
    );
    // conv: 1·1 − 1·2 + 2·3 + 0.5·4 − 1 = 6 ; relu 6 ; dense: [18.5, −11]
    const f = net.forward64([1, 2, 3, 4]);
    close(f.logits, [18.5, -11]);
    expect(f.activations.map((a) => a.length)).toEqual([4, 1, 1, 1, 2]);
    expect(net.predict64([1, 2, 3, 4])).toBe(0);
  });

  it("pixel/255 is the default preprocessing; mean/std is affine per channel", () => {
    const net = new Network({ inputShape: [1, 1, 2], layers: [{ kind: "flatten" }] });
    close(net.forward64([255, 51]).logits, [1, 0.2]);
    const ms = new Network({
      inputShape: [1, 1, 2],
      preprocess: meanStd([0.5, 0.25], [0.5, 0.25]),
      layers: [{ kind: "flatten" }],
    });
    close(ms.forward64([255, 0]).logits, [1, -1]);
  });

  it("a conv whose kernel covers the input equals flatten + dense with the same weights (layout check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer(),
        (h, w, c, f, seed) => {
          const rnd = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 1.7));
          const wts = rnd(h * w * c * f);
          const bias = rnd(f);
          const x = Array.from({ length: h * w * c }, (_, i) => (i * 37 + seed) % 256);
          const conv = raw(
            [h, w, c],
            [
              {
                kind: "conv2d",
                filters: f,
                kernel: [h, w],
                strides: [1, 1],
                padding: "valid",
                weights: wts,
                bias,
              },
            ],
          );
          const dense = raw(
            [h, w, c],
            [{ kind: "flatten" }, { kind: "dense", units: f, weights: wts, bias }],
          );
          close(conv.forward64(x).logits, dense.forward64(x).logits, 1e-9);
        },
      ),
    );
  });

  it("'same' convolution equals 'valid' convolution of the explicitly zero-padded input", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(1, 3),
        fc.integer(),
        (h, w, k, seed) => {
          const layer = (padding: "same" | "valid"): Conv2d => ({
            kind: "conv2d",
            filters: 2,
            kernel: [k, k],
            strides: [1, 1],
            padding,
            weights: Float32Array.from({ length: k * k * 2 }, (_, i) => Math.cos(seed + i)),
            bias: f32(0.5, -0.5),
          });
          const x = Array.from({ length: h * w }, (_, i) => (i * 13 + seed) & 255);
          const p = (k - 1) / 2;
          const padded = new Array<number>((h + 2 * p) * (w + 2 * p)).fill(0);
          for (let y = 0; y < h; y++)
            for (let z = 0; z < w; z++) padded[(y + p) * (w + 2 * p) + z + p] = x[y * w + z] as number;
          const same = raw([h, w, 1], [layer("same")]).forward64(x).logits;
          const valid = raw([h + 2 * p, w + 2 * p, 1], [layer("valid")]).forward64(padded).logits;
          close(same, valid, 1e-9);
        },
      ),
    );
  });

  it("pooling: max of each block; averages ignore padding; global average = full-window average", () => {
    const x = [1, 5, 2, 0, 3, 4, 8, 7, 6, 1, 2, 9, 0, 0, 4, 4];
    const max = raw([4, 4, 1], [{ kind: "maxpool", size: [2, 2], strides: [2, 2], padding: "valid" }]);
    close(max.forward64(x).logits, [5, 8, 6, 9]);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 255 }),
        (h, w, k, v) => {
          const avg = raw([h, w, 1], [{ kind: "avgpool", size: [k, k], strides: [1, 1], padding: "same" }]);
          for (const y of avg.forward64(new Array(h * w).fill(v)).logits) expect(y).toBeCloseTo(v, 9);
        },
      ),
    );
    const img = Array.from({ length: 3 * 4 * 2 }, (_, i) => i);
    const gap = raw([3, 4, 2], [{ kind: "globalavgpool" }]).forward64(img).logits;
    const full = raw(
      [3, 4, 2],
      [{ kind: "avgpool", size: [3, 4], strides: [1, 1], padding: "valid" }, { kind: "flatten" }],
    ).forward64(img).logits;
    close(gap, full, 1e-12);
  });

  it("random networks of every layer kind run, and relu outputs are non-negative", () => {
    fc.assert(
      fc.property(
        arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net))),
        ([net, px]) => {
          const f = net.forward64(px);
          expect(f.logits.length).toBe(net.outputSize);
          expect(f.logits.every(Number.isFinite)).toBe(true);
          net.layers.forEach((l, i) => {
            if (l.kind === "relu") expect(f.activations[i + 1]!.every((v) => v >= 0)).toBe(true);
            if (l.kind === "dropout") expect(f.activations[i + 1]).toEqual(f.activations[i]);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("joins: add sums values (one value read twice too), concat interleaves channels; bad joins are refused", () => {
    const relu = { kind: "relu" } as const;
    const twice = new Network({
      inputShape: [3],
      preprocess: rawPixels(1),
      layers: [relu, { kind: "add", inputs: [1, 1] }],
    });
    expect(Array.from(twice.forward64([1, -2, 3]).logits)).toEqual([2, 0, 6]);
    // channels last: per pixel, the first value's channels then the second's
    const cat = new Network({
      inputShape: [1, 2, 2],
      preprocess: rawPixels(2),
      layers: [relu, { kind: "concat", inputs: [0, 1] }],
    });
    expect(Array.from(cat.forward64([1, -1, 2, -2]).logits)).toEqual([1, -1, 1, 0, 2, -2, 2, 0]);
    expect(cat.shapes[2]).toEqual([1, 2, 4]);
    const refuse = (layers: Layer[], msg: RegExp) =>
      expect(() => new Network({ inputShape: [2, 2, 1], layers })).toThrow(msg);
    refuse(
      [{ kind: "flatten" }, { kind: "add", inputs: [0, 1] }],
      /adds values of different shapes: 2×2×1 and 4/,
    );
    refuse([{ kind: "relu", inputs: [0, 0] }], /reads 2 values; only joins/);
    refuse([{ kind: "relu", inputs: [1] }], /must be earlier values \(0 to 0\)/);
    refuse([{ kind: "add", inputs: [0] }], /joins two or more values/);
  });
});

describe("dense forward", () => {
  it("equals the bias plus each input times its weight row, whatever inputs are zero", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1 << 30 }),
        (n, units, seed) => {
          const next = prng(seed);
          const weights = Float32Array.from({ length: n * units }, () => next() - 0.5);
          const bias = Float32Array.from({ length: units }, () => next() - 0.5);
          // about a third of the inputs zero: the kernel skips them, four nonzero rows a pass
          const x = Float64Array.from({ length: n }, () => (next() < 0.35 ? 0 : next() * 2 - 1));
          const net = raw([n], [{ kind: "dense", units, weights, bias }]);
          const want = Array.from(bias, (b, j) =>
            x.reduce((t, xi, i) => t + xi * (weights[i * units + j] as number), b),
          );
          close(net.forward64(x).logits, want, 1e-12);
        },
      ),
      { numRuns: 300 },
    );
  });
});
