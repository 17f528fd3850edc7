// The programmatic API (the one the CLI itself uses), then the CLI.

export { type AttackChange, type CompareOptions, type Comparison, compare } from "./api/compare.js";
export {
  type AttackRequest,
  type AttackSummary,
  DEFAULT_ATTACK_TIME_LIMIT,
  type EvaluateHooks,
  type EvaluateOptions,
  type Evaluation,
  evaluate,
} from "./api/evaluate.js";
export {
  type FinetuneHooks,
  type FinetuneOptions,
  type Finetuning,
  finetune,
  type RoundRecord,
} from "./api/finetune.js";
export {
  type AttackRequestOptions,
  attack,
  type BoundRequestOptions,
  bound,
  type PointAttack,
  type PointBound,
  type PointRequest,
} from "./api/point.js";
export { type Report, type ReportOptions, report } from "./api/report.js";
export { buildProgram, main } from "./cli.js";
export { EXIT_NOT_OK, EXIT_OK, EXIT_USAGE, UsageError } from "./errors.js";
export { type ResultRow, type RunSpec, readRun } from "./eval/spec.js";
export { loadNetwork, loadSplit, SHIPPED_MODELS } from "./inputs.js";
export type { Output } from "./output.js";
