// What a plug-in author does: run rho's attack conformance suite on their own attack (here the
// fixture plug-in that `rho --plugin` loads in the CLI tests).
import { getAttack } from "@rho/attacks";
import { attackConformance } from "@rho/attacks/testing";
import "./fixtures/give-up-attack.mjs";

attackConformance(getAttack("give-up"));
