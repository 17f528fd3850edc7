// The networks' own types and arithmetic — layers, shapes, the float64 forward pass — without
// TensorFlow.js: what encoders and bounds need. `@rho/models` (the whole package) adds loading,
// saving, training and the float32 TensorFlow.js model on top.
export { addWeightedRows, SIMD_BUDGET, simdAvailable } from "./dense-product.js";
export { ModelError } from "./errors.js";
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
export { argmax, describeLayer, type Forward, Network, type NetworkSpec } from "./network.js";
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
