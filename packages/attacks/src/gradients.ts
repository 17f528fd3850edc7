import { inputTensor, type Network, toTfjs } from "@rho/models";
import * as tf from "@tensorflow/tfjs";
import type { AttackContext } from "./attack.js";

// One float32 TensorFlow.js model per network, shared by every point a gradient attack runs on.
const models = new WeakMap<Network, Promise<tf.LayersModel>>();

/** The context's TensorFlow.js model, or one converted from the network once. */
export function tfModel(ctx: AttackContext): Promise<tf.LayersModel> {
  if (ctx.model) return Promise.resolve(ctx.model);
  let m = models.get(ctx.net);
  if (!m) {
    m = toTfjs(ctx.net);
    models.set(ctx.net, m);
  }
  return m;
}

/** The preprocessing as per-value scale and shift tensors (channels last), so gradients reach raw pixels. */
function preprocessTensors(net: Network): [tf.Tensor, tf.Tensor] {
  const { scale, shift } = net.preprocess;
  const c = scale.length;
  const n = net.inputSize;
  return [
    tf.tensor1d(Float32Array.from({ length: n }, (_, i) => scale[i % c] as number)),
    tf.tensor1d(Float32Array.from({ length: n }, (_, i) => shift[i % c] as number)),
  ];
}

/**
 * The model's logits on raw pixels (one image or a batch, flattened), the preprocessing inside the
 * graph so that gradients reach the pixels. Call inside tf.tidy.
 */
function logitsOnPixels(model: tf.LayersModel, net: Network, px: tf.Tensor): tf.Tensor {
  const [scale, shift] = preprocessTensors(net);
  return model.apply(
    px
      .mul(scale)
      .add(shift)
      .reshape([-1, ...net.inputShape]),
  ) as tf.Tensor;
}

/**
 * loss(logits) at these raw pixels and its gradient with respect to them, by TensorFlow.js
 * autograd through the float32 model and the preprocessing.
 */
export async function lossAndGradient(
  ctx: AttackContext,
  pixels: ArrayLike<number>,
  loss: (logits: tf.Tensor1D) => tf.Scalar,
): Promise<{ value: number; grad: Float64Array }> {
  const model = await tfModel(ctx);
  const net = ctx.net;
  const { value, grad } = tf.tidy(() => {
    const f = (px: tf.Tensor) => loss(logitsOnPixels(model, net, px).reshape([-1]) as tf.Tensor1D);
    return tf.valueAndGrad(f)(tf.tensor1d(Float32Array.from(pixels as ArrayLike<number>)));
  });
  const [v, g] = await Promise.all([value.data(), grad.data()]);
  value.dispose();
  grad.dispose();
  return { value: v[0] as number, grad: Float64Array.from(g) };
}

/** Softmax cross-entropy of the logits against one label (a one-hot product: wasm has no gather gradient). */
export const crossEntropy =
  (label: number) =>
  (logits: tf.Tensor1D): tf.Scalar =>
    tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(label, logits.shape[0])))) as tf.Scalar;

/**
 * log Σ_{j≠ℓ} e^{z_j − z_ℓ}: the cross-entropy's gradient divided by (1 − p_ℓ) > 0, so it has the
 * same direction and sign. Untargeted attacks step along it because, computed in float32, the
 * cross-entropy's own gradient vanishes once p_ℓ rounds to 1 (logit gaps beyond ~16), while
 * this one does not.
 */
export const lossAwayFrom =
  (label: number) =>
  (logits: tf.Tensor1D): tf.Scalar => {
    const onehot = tf.oneHot(label, logits.shape[0]);
    const zl = tf.sum(tf.mul(logits, onehot));
    return tf.sub(tf.logSumExp(tf.sub(logits, tf.mul(onehot, 1e4))), zl) as tf.Scalar;
  };

/**
 * The gradients over raw pixels of the margins z_target − z_j, one per j in `others`, at these
 * pixels: one batched backward pass through the float32 model (copy k of the input carries
 * margin k), so a walk can linearise the network in a few milliseconds.
 */
export async function marginGradients(
  ctx: AttackContext,
  pixels: ArrayLike<number>,
  target: number,
  others: readonly number[],
): Promise<Float64Array[]> {
  const model = await tfModel(ctx);
  const net = ctx.net;
  const n = net.inputSize;
  const k = others.length;
  const classes = net.outputSize;
  const weights = new Float32Array(k * classes);
  others.forEach((j, r) => {
    weights[r * classes + target] = 1;
    weights[r * classes + j] = -1;
  });
  const tiled = new Float32Array(k * n);
  for (let r = 0; r < k; r++) tiled.set(Float32Array.from(pixels as ArrayLike<number>), r * n);
  const grad = tf.tidy(() => {
    const w = tf.tensor2d(weights, [k, classes]);
    const f = (px: tf.Tensor) => tf.sum(tf.mul(logitsOnPixels(model, net, px), w)) as tf.Scalar;
    return tf.grad(f)(tf.tensor2d(tiled, [k, n]));
  });
  const g = await grad.data();
  grad.dispose();
  return others.map((_, r) => Float64Array.from(g.subarray(r * n, (r + 1) * n)));
}

/** float32 logits of the model for a batch of raw-pixel images (one forward pass). */
export async function batchLogits(ctx: AttackContext, images: ArrayLike<number>[]): Promise<Float32Array[]> {
  const model = await tfModel(ctx);
  const out = tf.tidy(() => model.predict(inputTensor(ctx.net, images)) as tf.Tensor);
  const z = (await out.data()) as Float32Array;
  out.dispose();
  const c = ctx.net.outputSize;
  return images.map((_, i) => z.subarray(i * c, (i + 1) * c));
}
