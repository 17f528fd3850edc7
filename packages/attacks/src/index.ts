export { type AlpOptions, alp, DEFAULT_MARGIN } from "./alp.js";
export { type AlpPgdOptions, alpPgd } from "./alp-pgd.js";
export { type AlpWalkOptions, alpWalk } from "./alp-walk.js";
export {
  type ApgdLoss,
  type ApgdMinOptions,
  type ApgdOptions,
  type AscentProbe,
  apgd,
  apgdAscent,
  apgdAt,
  apgdCheckpoints,
  apgdMin,
} from "./apgd.js";
export type {
  Attack,
  AttackContext,
  AttackFamily,
  AttackOptions,
  AttackResult,
  AttackStatus,
  Point,
} from "./attack.js";
export { float32Logits, tfjsContext } from "./context.js";
export { type DeepFoolOptions, deepfool } from "./deepfool.js";
export {
  type AttackSpec,
  defineAttack,
  type SearchInput,
  type SearchResult,
  type TypedAttack,
} from "./define.js";
export {
  type Descended,
  type DescentOptions,
  type DescentPick,
  descend,
  descentOptions,
  type RegionPoint,
} from "./descent.js";
export { type EnsembleOptions, ensemble, ensembleEps, parseMembers } from "./ensemble.js";
export { type FabOptions, fab, projectToHyperplane } from "./fab.js";
export { DEFAULT_EPS, type FgsmOptions, fgsm } from "./fgsm.js";
export { type FmnOptions, fmn } from "./fmn.js";
export { crossEntropy, lossAndGradient, lossAwayFrom, tfModel } from "./gradients.js";
export { type LbfgsAttackOptions, lbfgs, smoothLinf } from "./lbfgs.js";
export {
  AttackOptionError,
  coerceOption,
  describeType,
  type GivenOptions,
  type OptionSchema,
  type OptionSpec,
  type OptionsOf,
  type OptionType,
  type OptionValue,
  optionSchema,
  parseDecimal,
  parseInteger,
  resolvedOptions,
  resolveOptions,
  TARGET_OPTION,
} from "./options.js";
export { type PgdOptions, pgd } from "./pgd.js";
export {
  chooseFormulation,
  type FormulationName,
  HIDDEN_ADVANTAGE,
  LP_OPTIONS,
  type LpAttackOptions,
  type LpSettings,
  type RegionFormulation,
  type RegionLpOptions,
  type RegionSolve,
  regionFormulation,
  regionLpOptions,
} from "./region-lp.js";
export { attackList, attackNames, getAttack, registerAttack } from "./registry.js";
export { type SquareOptions, square, squareFraction } from "./square.js";
export { clipToBox, exampleDefect, linf, pickTargets, verifyExample } from "./verify.js";

import { alp } from "./alp.js";
import { alpPgd } from "./alp-pgd.js";
import { alpWalk } from "./alp-walk.js";
import { apgd, apgdMin } from "./apgd.js";
import { deepfool } from "./deepfool.js";
import { ensemble, ensembleEps } from "./ensemble.js";
import { fab } from "./fab.js";
import { fgsm } from "./fgsm.js";
import { fmn } from "./fmn.js";
import { lbfgs } from "./lbfgs.js";
import { pgd } from "./pgd.js";
import { registerAttack } from "./registry.js";
import { square } from "./square.js";

registerAttack(alp);
registerAttack(alpWalk);
registerAttack(alpPgd);
registerAttack(lbfgs);
registerAttack(fgsm);
registerAttack(pgd);
registerAttack(deepfool);
registerAttack(apgd);
registerAttack(apgdMin);
registerAttack(fmn);
registerAttack(fab);
registerAttack(square);
registerAttack(ensemble);
registerAttack(ensembleEps);

export { HiddenFormulation } from "./region-forms/hidden.js";
export { COSTLY_SHARE, PixelFormulation } from "./region-forms/pixels.js";
