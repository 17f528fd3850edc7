export { type AlpOptions, alp, DEFAULT_MARGIN } from "./alp.js";
export type { Attack, AttackContext, AttackOptions, AttackResult, AttackStatus, Point } from "./attack.js";
export { tfjsContext } from "./context.js";
export { attackList, attackNames, getAttack, registerAttack } from "./registry.js";
export { clipToBox, linf, pickTargets, verifyExample } from "./verify.js";

import { alp } from "./alp.js";
import { registerAttack } from "./registry.js";

registerAttack(alp);
