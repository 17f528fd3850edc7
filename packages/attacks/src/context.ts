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
    async predict32(images) {
      const labels = tf.tidy(() => (model.predict(inputTensor(net, images)) as tf.Tensor).argMax(-1));
      const out = await labels.data();
      labels.dispose();
      return out;
    },
  };
}
