import type { Network } from "@rho/models/core";
import type { Interval } from "../intervals/rules.js";
import { reluInputs } from "../intervals/split.js";
import type { LowerSlope } from "./crown.js";

/** The pixels of the box where coef·p is least (into `p` when given). */
export function boxMinimiser(
  coef: Float64Array,
  box: Interval,
  p: Float64Array = new Float64Array(coef.length),
): Float64Array {
  // a plain loop: Float64Array.from with a map callback is several times slower in V8, and this
  // runs at every step of every α-CROWN ascent
  for (let q = 0; q < p.length; q++)
    p[q] = (coef[q] as number) > 0 ? (box.lo[q] as number) : (box.hi[q] as number);
  return p;
}

/**
 * Lower slopes tight at the pixels p: α = 1 for a ReLU whose input is positive at p, 0 where it is
 * negative (CROWN's adaptive choice at 0). Any α ∈ [0, 1] is sound; these make every lower line
 * exact at p — taken where a bound was least, a one-step form of α-CROWN's optimised slopes.
 */
export function tightSlopes(net: Network, p: Float64Array): LowerSlope {
  const acts = net.forward64(p).activations;
  const reads = new Map(reluInputs(net).map((r) => [r.layer, r.value]));
  return (l, u, unit, layer) => {
    const v = (acts[reads.get(layer) as number] as Float64Array)[unit] as number;
    return v > 0 ? 1 : v < 0 ? 0 : u >= -l ? 1 : 0;
  };
}
