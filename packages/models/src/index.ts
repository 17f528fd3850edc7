export { registerAvgPoolGradient } from "./avgpool-gradient.js";
export {
  BACKENDS,
  type BackendChoice,
  type BackendName,
  chooseBackend,
  type Importer,
  useBackend,
} from "./backends.js";
export { ModelError } from "./errors.js";
export {
  fromLayersArtifacts,
  type LayersArtifacts,
  SUPPORTED_KERAS_LAYERS,
  toLayersArtifacts,
  type WeightSpec,
} from "./keras.js";
export type {
  Add,
  AvgPool,
  Concat,
  Conv2d,
  Dense,
  Dropout,
  Flatten,
  GlobalAvgPool,
  Layer,
  LayerKind,
  LayerModule,
  MaxPool,
  Relu,
} from "./layer.js";
export { LAYER_MODULES, moduleFor } from "./layers/index.js";
export { concatSource } from "./layers/joins.js";
export { poolDivisor } from "./layers/pooling.js";
export { fileInModelFolder, readRange } from "./model-folder.js";
export { type LoadOptions, loadModel, modelFiles, RHO_METADATA, saveModel } from "./model-io.js";
export { argmax, describeLayer, type Forward, Network, type NetworkSpec } from "./network.js";
export { foldedOnImport, type InputLayout, onnxInputLayout, SUPPORTED_ONNX_OPS } from "./onnx/import.js";
export { meanStd, type Preprocess, rawPixels, unitPixels } from "./preprocess.js";
export {
  checkPadding,
  isImage,
  isPads,
  type Padding,
  type Pads,
  padsOf,
  type Shape,
  showPadding,
  showShape,
  size,
  window,
} from "./shape.js";
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
