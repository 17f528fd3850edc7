import { inputTensor, type Network, toTfjs } from "@rho/models";
import * as tf from "@tensorflow/tfjs";
import type { AttackContext } from "./attack.js";

/**
 * An attack context whose float32 check runs the network as a TensorFlow.js model on the current
 * backend (call `useBackend` first), so every example is verified by the deployed arithmetic too;
 * gradient attacks use the same model.
 */
export async function tfjsContext(net: Network): Promise<AttackContext & { model: tf.LayersModel }> {
  const model = await toTfjs(net);
  return {
    net,
    model,
    async logits32(images) {
      const logits = tf.tidy(() => model.predict(inputTensor(net, images)) as tf.Tensor);
      const out = (await logits.data()) as Float32Array;
      logits.dispose();
      return out;
    },
  };
}

// A context without a float32 check (a program's own `{ net }`) still gets one: the network's
// TensorFlow.js model, built once per network. Verification never skips the float32 pass.
const built = new WeakMap<Network, Promise<AttackContext>>();

/** The float32 logits of a batch of raw-pixel images: the context's own, or the network's tfjs model's. */
export async function float32Logits(ctx: AttackContext, images: ArrayLike<number>[]): Promise<Float32Array> {
  if (ctx.logits32) return Float32Array.from(await ctx.logits32(images));
  let c = built.get(ctx.net);
  if (!c) {
    c = tfjsContext(ctx.net);
    built.set(ctx.net, c);
  }
  return Float32Array.from(await ((await c).logits32 as NonNullable<AttackContext["logits32"]>)(images));
}
