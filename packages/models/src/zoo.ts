import type { Conv2d, Dense, Layer } from "./layer.js";
import { Network } from "./network.js";
import type { Padding } from "./shape.js";

/** mulberry32: a small seeded PRNG, so an architecture's initial weights are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Glorot-uniform weights, zero biases (the Keras defaults). */
const glorot = (rand: () => number, n: number, fanIn: number, fanOut: number) => {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * limit);
};

type Builder = (rand: () => number, inChannels: number) => Layer;

const conv =
  (name: string, filters: number, k: number, padding: Padding = "valid"): Builder =>
  (rand, c) =>
    ({
      kind: "conv2d",
      name,
      filters,
      kernel: [k, k],
      strides: [1, 1],
      padding,
      weights: glorot(rand, k * k * c * filters, k * k * c, k * k * filters),
      bias: new Float32Array(filters),
    }) satisfies Conv2d;

const dense =
  (name: string, units: number): Builder =>
  (rand, n) =>
    ({
      kind: "dense",
      name,
      units,
      weights: glorot(rand, n * units, n, units),
      bias: new Float32Array(units),
    }) satisfies Dense;

const fixed =
  (layer: Layer): Builder =>
  () =>
    layer;

/** Builds a network layer by layer, feeding each builder the current channel (or feature) count. */
function build(
  name: string,
  inputShape: [number, number, number],
  builders: Builder[],
  seed: number,
): Network {
  const rand = prng(seed);
  const layers: Layer[] = [];
  let net: Network | undefined;
  for (const b of builders) {
    const shape = net ? net.shapes[net.shapes.length - 1] : inputShape;
    const width = (shape as readonly number[])[(shape as readonly number[]).length - 1] as number;
    layers.push(b(rand, width));
    net = new Network({ name, inputShape, layers: [...layers] });
  }
  return net as Network;
}

/**
 * The paper's LeNet for MNIST (Caffe's): conv 20@5×5 → maxpool 2 → conv 50@5×5 → maxpool 2 →
 * dense 500 → ReLU → dense 10. Inputs 28×28×1, pixel/255.
 */
export const lenet = (seed = 1): Network =>
  build(
    "lenet",
    [28, 28, 1],
    [
      conv("conv1", 20, 5),
      fixed({ kind: "maxpool", name: "pool1", size: [2, 2], strides: [2, 2], padding: "valid" }),
      conv("conv2", 50, 5),
      fixed({ kind: "maxpool", name: "pool2", size: [2, 2], strides: [2, 2], padding: "valid" }),
      fixed({ kind: "flatten", name: "flatten" }),
      dense("fc1", 500),
      fixed({ kind: "relu", name: "relu1" }),
      dense("fc2", 10),
    ],
    seed,
  );

/**
 * A small MLP for MNIST, 784-20-20-10 with ReLUs: the size where exact ρ by MILP is tractable
 * (MIPVerify's small MNIST networks), so attacks and bounds can be checked against it.
 */
export const mlp = (seed = 1): Network =>
  build(
    "mlp",
    [28, 28, 1],
    [
      fixed({ kind: "flatten", name: "flatten" }),
      dense("fc1", 20),
      fixed({ kind: "relu", name: "relu1" }),
      dense("fc2", 20),
      fixed({ kind: "relu", name: "relu2" }),
      dense("fc3", 10),
    ],
    seed,
  );

/**
 * Network-in-Network for CIFAR-10 (Lin et al. 2014): three mlpconv blocks (192-160-96,
 * 192-192-192, 192-192-10) with max, average and global average pooling and dropout.
 */
export const nin = (seed = 1): Network => {
  const relu = (name: string) => fixed({ kind: "relu", name });
  const pool = (kind: "maxpool" | "avgpool", name: string) =>
    fixed({ kind, name, size: [3, 3], strides: [2, 2], padding: "same" });
  return build(
    "nin",
    [32, 32, 3],
    [
      conv("conv1", 192, 5, "same"),
      relu("relu1"),
      conv("cccp1", 160, 1),
      relu("relu_cccp1"),
      conv("cccp2", 96, 1),
      relu("relu_cccp2"),
      pool("maxpool", "pool1"),
      fixed({ kind: "dropout", name: "drop1", rate: 0.5 }),
      conv("conv2", 192, 5, "same"),
      relu("relu2"),
      conv("cccp3", 192, 1),
      relu("relu_cccp3"),
      conv("cccp4", 192, 1),
      relu("relu_cccp4"),
      pool("avgpool", "pool2"),
      fixed({ kind: "dropout", name: "drop2", rate: 0.5 }),
      conv("conv3", 192, 3, "same"),
      relu("relu3"),
      conv("cccp5", 192, 1),
      relu("relu_cccp5"),
      conv("cccp6", 10, 1),
      fixed({ kind: "globalavgpool", name: "pool3" }),
    ],
    seed,
  );
};

export const ARCHITECTURES: Record<string, { build: (seed?: number) => Network; description: string }> = {
  lenet: {
    build: lenet,
    description: "LeNet (Caffe's) for 28×28×1 inputs: conv20-pool-conv50-pool-fc500-relu-fc10",
  },
  mlp: {
    build: mlp,
    description: "MLP for 28×28×1 inputs: 784-20-20-10 with ReLUs (exact ρ by MILP is tractable)",
  },
  nin: { build: nin, description: "Network-in-Network for 32×32×3 inputs (CIFAR-10)" },
};
