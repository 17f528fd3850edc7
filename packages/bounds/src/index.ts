export { type BisectOptions, boundRho, type RhoBound } from "./bisect.js";
export { ballBox, ibp, intervalBounds, intervalMargin } from "./intervals/ibp.js";
export { INTERVAL_RULES, type Interval, type IntervalRule, roundingFactor } from "./intervals/rules.js";
export { type ReluSplit, reluInputs, splitBounds } from "./intervals/split.js";
export {
  type AlphaBound,
  type AlphaBoundsOptions,
  type AlphaOptions,
  type AlphaState,
  alphaBounds,
  alphaLowerBound,
  optimisable,
  type SplitConstraint,
} from "./linear/alpha.js";
export {
  ADAPTIVE_SLOPE,
  BACKWARD_RULES,
  type LowerSlope,
  linearLowerBounds,
  lowerBounds,
  minOverBox,
  type PassScratch,
  type PixelLinear,
  type RoundingMemo,
  SLOPE_CANDIDATES,
} from "./linear/crown.js";
export { crown, crownBounds, marginBounds, refineBounds } from "./linear/method.js";
export { Scratch } from "./linear/scratch.js";
export { boxMinimiser, tightSlopes } from "./linear/tight-slopes.js";
export {
  affineEntries,
  BoundMemoryError,
  checkMemory,
  crownBytes,
  defaultMemoryLimit,
  ibpBytes,
} from "./memory.js";
export {
  type BoundMethod,
  boundMethodNames,
  type Certificate,
  type CertifyStatus,
  getBoundMethod,
  type Query,
  registerBoundMethod,
} from "./method.js";
export { EXACT_TOLERANCE, exactRho, type MilpOptions, milp } from "./milp/exact.js";
export { propertyMilp } from "./milp/formulation.js";
export { float32ErrorBound } from "./rounding-error.js";

import { ibp } from "./intervals/ibp.js";
import { crown } from "./linear/method.js";
import { registerBoundMethod } from "./method.js";
import { milp } from "./milp/exact.js";

registerBoundMethod(ibp);
registerBoundMethod(crown);
registerBoundMethod(milp);
