export { registerAvgPoolGradient } from "./avgpool-gradient.js";
export {
  BACKENDS,
  type BackendChoice,
  type BackendName,
  chooseBackend,
  type Importer,
  useBackend,
} from "./backends.js";
export * from "./core.js";
export {
  fromLayersArtifacts,
  type LayersArtifacts,
  SUPPORTED_KERAS_LAYERS,
  toLayersArtifacts,
  type WeightSpec,
} from "./keras.js";
export { fileInModelFolder, readRange } from "./model-folder.js";
export { type LoadOptions, loadModel, modelFiles, RHO_METADATA, saveModel } from "./model-io.js";
export { foldedOnImport, type InputLayout, onnxInputLayout, SUPPORTED_ONNX_OPS } from "./onnx/import.js";
export { fromTfjs, inputTensor, toTfjs } from "./tfjs.js";
export {
  accuracy,
  type LabelledImages,
  predictLabels,
  type TrainOptions,
  type TrainProgress,
  train,
} from "./train.js";
export { ARCHITECTURES, lenet, mlp, nin, prng } from "./zoo.js";
