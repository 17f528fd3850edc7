export { bootstrapMean, type Estimate, normalQuantile, wilson } from "./intervals.js";
export {
  cumulativeCurve,
  type Family,
  failedOutcome,
  type PointOutcome,
  type RobustnessStats,
  robustnessStats,
} from "./robustness.js";
