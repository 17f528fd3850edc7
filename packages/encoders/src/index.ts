export {
  assignment,
  type EncodeOptions,
  type Encoding,
  encodeNetwork,
  labelConstraint,
  restrictAtPixels,
} from "./encode.js";
export { type FormulationSizes, formulationSizes, HiddenRegionForm } from "./hidden.js";
export type {
  Bounds,
  EncodeContext,
  Encoded,
  LayerEncoder,
  LinearizeContext,
  LinearPiece,
  SparseRows,
} from "./layer-encoder.js";
export { poolCells } from "./layers/affine.js";
export { LAYER_ENCODERS } from "./layers/index.js";
export { type AffineForm, formsToRows, LinearRegion, type RegionOptions } from "./region.js";
