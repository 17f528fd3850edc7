export { inBox, violates } from "./semantics.js";
export {
  counterexampleText,
  type Stage,
  VerifyInputError,
  type VerifyOptions,
  type VerifyResult,
  type VerifyStatus,
  verifyProperty,
} from "./verify.js";
export {
  type OutputRow,
  parseVnnlib,
  reorderInputs,
  type SpecCase,
  VnnlibError,
  type VnnSpec,
} from "./vnnlib.js";
