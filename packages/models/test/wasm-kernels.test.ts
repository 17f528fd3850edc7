import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../src/index.js";

interface Case {
  n: number;
  h: number;
  w: number;
  c: number;
  k: number;
  co: number;
  stride: number;
  pad: "valid" | "same";
  seed: number;
}

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    n: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 3, max: 9 }),
    w: fc.integer({ min: 3, max: 9 }),
    c: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    co: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 2 }),
    pad: fc.constantFrom<"valid" | "same">("valid", "same"),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .filter(({ h, w, k }) => k <= h && k <= w);

const data = (len: number, seed: number) =>
  Float32Array.from({ length: len }, (_, i) => Math.sin(seed * 13 + i * 0.7) * 2);

/** Gradients of Σ r ⊙ act(conv(x, f) + b) with respect to x, f and b, on the current backend. */
function grads(
  cs: Case,
  activation: "relu" | "linear" = "relu",
): { dx: Float32Array; df: Float32Array; db: Float32Array; loss: number } {
  return tf.tidy(() => {
    const x = tf.tensor4d(data(cs.n * cs.h * cs.w * cs.c, cs.seed), [cs.n, cs.h, cs.w, cs.c]);
    const f = tf.tensor4d(data(cs.k * cs.k * cs.c * cs.co, cs.seed + 1), [cs.k, cs.k, cs.c, cs.co]);
    const b = tf.tensor1d(data(cs.co, cs.seed + 2));
    const fwd = (xx: tf.Tensor4D, ff: tf.Tensor4D, bb: tf.Tensor1D) => {
      const y = tf.fused.conv2d({
        x: xx,
        filter: ff,
        strides: cs.stride,
        pad: cs.pad,
        bias: bb,
        activation,
      });
      const r = tf.tensor(data(y.size, cs.seed + 3), y.shape);
      return tf.sum(tf.mul(y, r)) as tf.Scalar;
    };
    const g = tf.grads((xx, ff, bb) => fwd(xx as tf.Tensor4D, ff as tf.Tensor4D, bb as tf.Tensor1D));
    const [dx, df, db] = g([x, f, b]);
    return {
      dx: dx!.dataSync() as Float32Array,
      df: df!.dataSync() as Float32Array,
      db: db!.dataSync() as Float32Array,
      loss: fwd(x, f, b).dataSync()[0] as number,
    };
  });
}

function closeArrays(a: Float32Array, b: Float32Array, what: string): void {
  expect(a.length, what).toBe(b.length);
  const scale = Math.max(1, ...Array.from(b, Math.abs));
  for (let i = 0; i < a.length; i++)
    expect(Math.abs((a[i] as number) - (b[i] as number)), `${what}[${i}]`).toBeLessThanOrEqual(1e-4 * scale);
}

describe("conv2d gradient kernels on the wasm backend", () => {
  beforeAll(async () => {
    await useBackend("wasm", async () => {
      throw new Error("no native TensorFlow in tests");
    });
  });
  afterAll(async () => {
    await useBackend("cpu");
  });

  it("fused conv + bias + relu gradients (x, filter, bias) match the cpu backend's", async () => {
    await fc.assert(
      fc.asyncProperty(arbCase, async (cs) => {
        await tf.setBackend("cpu");
        const ref = grads(cs);
        await tf.setBackend("wasm");
        const got = grads(cs);
        closeArrays(got.df, ref.df, "filter gradient");
        closeArrays(got.db, ref.db, "bias gradient");
        closeArrays(got.dx, ref.dx, "input gradient");
      }),
      { numRuns: 60 },
    );
  });

  it("input, filter and bias gradients match central finite differences of the wasm forward pass", async () => {
    // Without the ReLU the loss is linear in the filter and the bias, so the central difference
    // is exact up to float32 round-off: any indexing or layout slip in the kernel shows.
    await tf.setBackend("wasm");
    await fc.assert(
      fc.asyncProperty(arbCase, fc.nat(), fc.nat(), async (cs, pickF, pickB) => {
        const { dx, df, db } = grads(cs, "linear");
        const lossAt = (fi: number, bi: number, delta: number, xi = -1) =>
          tf.tidy(() => {
            const xv = data(cs.n * cs.h * cs.w * cs.c, cs.seed);
            if (xi >= 0) xv[xi] = (xv[xi] as number) + delta;
            const x = tf.tensor4d(xv, [cs.n, cs.h, cs.w, cs.c]);
            const fv = data(cs.k * cs.k * cs.c * cs.co, cs.seed + 1);
            const bv = data(cs.co, cs.seed + 2);
            if (fi >= 0) fv[fi] = (fv[fi] as number) + delta;
            if (bi >= 0) bv[bi] = (bv[bi] as number) + delta;
            const y = tf.add(
              tf.conv2d(x, tf.tensor4d(fv, [cs.k, cs.k, cs.c, cs.co]), cs.stride, cs.pad),
              tf.tensor1d(bv),
            );
            return tf.sum(tf.mul(y, tf.tensor(data(y.size, cs.seed + 3), y.shape))).dataSync()[0] as number;
          });
        const eps = 0.5;
        const fi = pickF % df.length;
        const bi = pickB % db.length;
        const fdF = (lossAt(fi, -1, eps) - lossAt(fi, -1, -eps)) / (2 * eps);
        const fdB = (lossAt(-1, bi, eps) - lossAt(-1, bi, -eps)) / (2 * eps);
        expect(Math.abs(fdF - (df[fi] as number))).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(fdF)));
        expect(Math.abs(fdB - (db[bi] as number))).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(fdB)));
        const xi = (pickF * 7 + pickB) % dx.length;
        const fdX = (lossAt(-1, -1, eps, xi) - lossAt(-1, -1, -eps, xi)) / (2 * eps);
        expect(Math.abs(fdX - (dx[xi] as number))).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(fdX)));
      }),
      { numRuns: 60 },
    );
  });

  it("a small Keras model trains on wasm: the loss falls", async () => {
    await tf.setBackend("wasm");
    const model = tf.sequential({
      layers: [
        // seeded: with 4 filters, an unlucky draw leaves every ReLU dead and nothing to learn
        tf.layers.conv2d({
          inputShape: [8, 8, 1],
          filters: 4,
          kernelSize: 3,
          activation: "relu",
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: tf.losses.softmaxCrossEntropy });
    // class 1 = bright upper half
    const xs = tf.tidy(() => {
      const imgs = Array.from({ length: 64 }, (_, i) =>
        Array.from(
          { length: 64 },
          (_, p) => ((i % 2 === 1) === p < 32 ? 1 : 0) * (0.5 + ((i * 7 + p) % 5) / 10),
        ),
      );
      return tf.tensor4d(imgs.flat(), [64, 8, 8, 1]);
    });
    const ys = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 64 }, (_, i) => i % 2),
        "int32",
      ),
      2,
    );
    const h = await model.fit(xs, ys, { epochs: 15, batchSize: 16, verbose: 0 });
    const losses = h.history.loss as number[];
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});
