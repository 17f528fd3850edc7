import { type Network, toTfjs } from "@rho/models";
import type * as tf from "@tensorflow/tfjs";
import type { AttackContext } from "./attack.js";
import { batchLogits } from "./gradients.js";

/**
 * An attack context whose float32 check runs the network as a TensorFlow.js model on the current
 * backend (call `useBackend` first), so every example is verified by the deployed arithmetic too;
 * gradient attacks use the same model.
 */
export async function tfjsContext(net: Network): Promise<AttackContext & { model: tf.LayersModel }> {
  const model = await toTfjs(net);
  return { net, model, logits32: (images) => float32Logits({ net, model }, images) };
}

/**
 * The float32 logits of a batch of raw-pixel images, row after row: the context's own check, else
 * the network's TensorFlow.js model (`batchLogits`, one model per network). Verification never
 * skips the float32 pass.
 */
export async function float32Logits(ctx: AttackContext, images: ArrayLike<number>[]): Promise<Float32Array> {
  if (ctx.logits32) return Float32Array.from(await ctx.logits32(images));
  const rows = await batchLogits(ctx, images);
  const k = ctx.net.outputSize;
  const out = new Float32Array(rows.length * k);
  rows.forEach((r, i) => {
    out.set(r, i * k);
  });
  return out;
}
