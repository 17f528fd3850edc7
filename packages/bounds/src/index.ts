export { type BisectOptions, boundRho, type RhoBound } from "./bisect.js";
export { ballBox, ibp, intervalBounds, intervalMargin } from "./intervals/ibp.js";
export { INTERVAL_RULES, type Interval, type IntervalRule, roundingFactor } from "./intervals/rules.js";
export { BACKWARD_RULES, lowerBounds } from "./linear/crown.js";
export { crown, crownBounds } from "./linear/method.js";
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
import { crown } from "./linear/method.js";
import { registerBoundMethod } from "./method.js";

registerBoundMethod(ibp);
registerBoundMethod(crown);
