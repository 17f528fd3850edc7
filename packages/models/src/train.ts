import * as tf from "@tensorflow/tfjs";
import type { Network } from "./network.js";
import { fromTfjs, toTfjs } from "./tfjs.js";
import { prng } from "./zoo.js";

/** Labelled images, NHWC bytes (the shape of @rho/datasets' Dataset, without depending on it). */
export interface LabelledImages {
  readonly count: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

export interface TrainProgress {
  readonly epoch: number;
  readonly batch: number;
  readonly batches: number;
  /** Running mean over this epoch so far. */
  readonly loss: number;
  readonly accuracy: number;
  readonly imagesPerSecond: number;
}

export interface TrainOptions {
  readonly epochs: number;
  /** First epoch to run (0-based); earlier epochs are taken as done (resume). */
  readonly startEpoch?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  /** Seeds the per-epoch shuffles: epoch e uses seed + e, so a resumed run sees the same order. */
  readonly seed?: number;
  readonly onProgress?: (p: TrainProgress) => void;
  /** Called with the network after every epoch (e.g. to save a checkpoint). */
  readonly onEpochEnd?: (
    epoch: number,
    net: Network,
    stats: { loss: number; accuracy: number },
  ) => Promise<void> | void;
}

/** Copies a batch of raw images into preprocessed float32 input. */
function batchInput(
  net: Network,
  data: LabelledImages,
  order: Uint32Array,
  from: number,
  to: number,
): tf.Tensor {
  const n = net.inputSize;
  const { scale, shift } = net.preprocess;
  const c = scale.length;
  const out = new Float32Array((to - from) * n);
  for (let i = from; i < to; i++) {
    const src = (order[i] as number) * n;
    const dst = (i - from) * n;
    for (let k = 0; k < n; k++)
      out[dst + k] = (data.images[src + k] as number) * (scale[k % c] as number) + (shift[k % c] as number);
  }
  return tf.tensor(out, [to - from, ...net.inputShape]);
}

function shuffled(count: number, seed: number): Uint32Array {
  const rand = prng(seed);
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/**
 * Trains with Adam on softmax cross-entropy of the logits, on whatever tfjs backend is active,
 * and returns the trained network. Dropout is active during training only.
 */
export async function train(net: Network, data: LabelledImages, opts: TrainOptions): Promise<Network> {
  const batchSize = opts.batchSize ?? 64;
  const classes = net.outputSize;
  const model = await toTfjs(net);
  model.compile({
    optimizer: tf.train.adam(opts.learningRate ?? 1e-3),
    loss: tf.losses.softmaxCrossEntropy,
    metrics: ["accuracy"],
  });
  let current = net;
  try {
    for (let epoch = opts.startEpoch ?? 0; epoch < opts.epochs; epoch++) {
      const order = shuffled(data.count, (opts.seed ?? 1) + epoch);
      const batches = Math.ceil(data.count / batchSize);
      let lossSum = 0;
      let accSum = 0;
      let seen = 0;
      const t0 = performance.now();
      for (let b = 0; b < batches; b++) {
        const from = b * batchSize;
        const to = Math.min(data.count, from + batchSize);
        const x = batchInput(net, data, order, from, to);
        const labels = tf.tensor1d(
          Array.from(order.subarray(from, to), (i) => data.labels[i] as number),
          "int32",
        );
        const y = tf.oneHot(labels, classes);
        const [loss, acc] = (await model.trainOnBatch(x, y)) as number[];
        tf.dispose([x, labels, y]);
        lossSum += (loss as number) * (to - from);
        accSum += (acc as number) * (to - from);
        seen += to - from;
        // trainOnBatch resolves through microtasks only: yield so timers (progress output) can run
        if (b % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
        opts.onProgress?.({
          epoch,
          batch: b + 1,
          batches,
          loss: lossSum / seen,
          accuracy: accSum / seen,
          imagesPerSecond: seen / ((performance.now() - t0) / 1000),
        });
      }
      current = await fromTfjs(model, net.preprocess);
      await opts.onEpochEnd?.(epoch, current, { loss: lossSum / seen, accuracy: accSum / seen });
    }
  } finally {
    model.dispose();
  }
  return current;
}

/** Predicted labels for every image, in batches through TensorFlow.js. */
export async function predictLabels(
  net: Network,
  data: LabelledImages,
  batchSize = 256,
): Promise<Uint8Array> {
  const model = await toTfjs(net);
  const out = new Uint8Array(data.count);
  const order = Uint32Array.from({ length: data.count }, (_, i) => i);
  try {
    for (let from = 0; from < data.count; from += batchSize) {
      const to = Math.min(data.count, from + batchSize);
      const x = batchInput(net, data, order, from, to);
      const y = model.predict(x) as tf.Tensor;
      const labels = tf.argMax(y, 1);
      out.set(await labels.data(), from);
      tf.dispose([x, y, labels]);
    }
  } finally {
    model.dispose();
  }
  return out;
}

/** Share of images whose predicted label equals the true one. */
export async function accuracy(
  net: Network,
  data: LabelledImages,
): Promise<{ correct: number; total: number; accuracy: number }> {
  const pred = await predictLabels(net, data);
  let correct = 0;
  for (let i = 0; i < data.count; i++) if (pred[i] === data.labels[i]) correct++;
  return { correct, total: data.count, accuracy: data.count ? correct / data.count : 0 };
}
