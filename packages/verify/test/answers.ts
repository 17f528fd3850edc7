// Checks of a verifier's answer on a two-input property, shared by the verifier's tests.
import type { Network } from "@rho/models";
import { expect } from "vitest";
import { type VerifyResult, type VnnSpec, violates } from "../src/index.js";

/**
 * A sat answer's counterexample replays; an unsat answer has no violating point on a 61 × 61 grid
 * of the first case's box (two inputs).
 */
export function expectAnswerHolds(net: Network, spec: VnnSpec, r: VerifyResult): void {
  if (r.status === "sat") {
    const x = r.x as Float64Array;
    expect(violates(spec, x, net.forward64(x).logits)).toBe(true);
  } else if (r.status === "unsat") {
    const c = spec.cases[0] as VnnSpec["cases"][number];
    const n = 60;
    for (let i = 0; i <= n; i++)
      for (let j = 0; j <= n; j++) {
        const x = [
          (c.lo[0] as number) + ((c.hi[0] as number) - (c.lo[0] as number)) * (i / n),
          (c.lo[1] as number) + ((c.hi[1] as number) - (c.lo[1] as number)) * (j / n),
        ];
        expect(violates(spec, x, net.forward64(x).logits), `grid point ${x}`).toBe(false);
      }
  }
}
