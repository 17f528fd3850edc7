export { bootstrapMean, type Estimate, normalQuantile, wilson } from "./intervals.js";
export {
  type BracketShares,
  bracketShares,
  cumulativeCurve,
  type Family,
  failedOutcome,
  type PointBracket,
  type PointOutcome,
  type RobustnessStats,
  robustnessStats,
} from "./robustness.js";
