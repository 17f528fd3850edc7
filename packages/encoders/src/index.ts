export {
  assignment,
  type EncodeOptions,
  type Encoding,
  encodeNetwork,
  labelConstraint,
  restrictAtPixels,
} from "./encode.js";
export type { Bounds, EncodeContext, Encoded, LayerEncoder } from "./layer-encoder.js";
export { LAYER_ENCODERS } from "./layers/index.js";
