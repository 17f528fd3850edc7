import * as tf from "@tensorflow/tfjs";
import { registerAvgPoolGradient } from "./avgpool-gradient.js";
import { concatBytes } from "./bytes.js";
import { fromLayersArtifacts, type LayersArtifacts, toLayersArtifacts } from "./keras.js";
import type { Network } from "./network.js";
import type { Preprocess } from "./preprocess.js";
import { registerRhoPool } from "./tfjs-pool.js";

// every TensorFlow.js model of a network is built here: its average pools get the exact gradient
registerAvgPoolGradient();
registerRhoPool();

/** A TensorFlow.js model computing the network on preprocessed inputs (no preprocessing layer). */
export function toTfjs(net: Network): Promise<tf.LayersModel> {
  const art = toLayersArtifacts(net);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: art.modelTopology as unknown as object,
      weightSpecs: art.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: art.weightData,
    }),
  );
}

/** The IR of a TensorFlow.js Sequential model (Keras layer kinds as in `SUPPORTED_KERAS_LAYERS`). */
export async function fromTfjs(model: tf.LayersModel, preprocess?: Preprocess): Promise<Network> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  const a = captured as tf.io.ModelArtifacts;
  const data = a.weightData;
  const art: LayersArtifacts = {
    modelTopology: a.modelTopology as LayersArtifacts["modelTopology"],
    weightSpecs: (a.weightSpecs ?? []) as LayersArtifacts["weightSpecs"],
    weightData: (Array.isArray(data) ? concatBytes(data) : (data as ArrayBuffer)) ?? new ArrayBuffer(0),
  };
  return fromLayersArtifacts(art, preprocess);
}

/** Preprocessed inputs for a batch of raw-pixel images, shaped [batch, ...inputShape]. */
export function inputTensor(net: Network, pixels: ArrayLike<number>[]): tf.Tensor {
  const n = net.inputSize;
  const flat = new Float32Array(pixels.length * n);
  pixels.forEach((p, i) => {
    flat.set(net.preprocessInput(p), i * n);
  });
  return tf.tensor(flat, [pixels.length, ...net.inputShape]);
}
