export { type BisectOptions, boundRho, type RhoBound } from "./bisect.js";
export { ballBox, ibp, intervalBounds, intervalMargin } from "./intervals/ibp.js";
export { INTERVAL_RULES, type Interval, type IntervalRule, roundingFactor } from "./intervals/rules.js";
export {
  type BoundMethod,
  boundMethodNames,
  type Certificate,
  type CertifyStatus,
  getBoundMethod,
  type Query,
  registerBoundMethod,
} from "./method.js";

import { ibp } from "./intervals/ibp.js";
import { registerBoundMethod } from "./method.js";

registerBoundMethod(ibp);
