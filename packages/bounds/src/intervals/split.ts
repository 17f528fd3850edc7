// Branch and bound splits the input domain by the sign of one ReLU's input: inside each side that
// ReLU is linear. The split is on the value the deployed network computes (the intervals bound the
// float32 network's values, rules.ts), so every input falls on one side and each side's bounds stay
// sound: the unit's interval is clipped at 0 and the layers above it are re-propagated (IBP),
// never looser than the parent's.
import type { Layer, Network, Shape } from "@rho/models/core";
import { inputInterval } from "./ibp.js";
import { type Interval, ruleFor } from "./rules.js";

/** The ReLU input `unit` of value `value` (after that many layers) is ≥ 0 (active) or ≤ 0. */
export interface ReluSplit {
  readonly value: number;
  readonly unit: number;
  readonly active: boolean;
}

/**
 * Every layer's bounds on one side of a split of the domain whose bounds are `parent`; undefined
 * when the bounds prove that side empty (the unit cannot take that sign, or an interval above it
 * becomes empty).
 */
export function splitBounds(net: Network, parent: readonly Interval[], s: ReluSplit): Interval[] | undefined {
  const at = parent[s.value] as Interval;
  const lo = at.lo[s.unit] as number;
  const hi = at.hi[s.unit] as number;
  if (s.active ? hi < 0 : lo > 0) return undefined;
  const bounds = parent.slice();
  const clipped = { lo: at.lo.slice(), hi: at.hi.slice() };
  if (s.active) clipped.lo[s.unit] = Math.max(lo, 0);
  else clipped.hi[s.unit] = Math.min(hi, 0);
  bounds[s.value] = clipped;
  // values above the split, in layer order (a value depends on lower ones only)
  for (let l = s.value; l < net.layers.length; l++) {
    if (!(net.inputs[l] as readonly number[]).some((k) => bounds[k] !== parent[k])) continue;
    const layer = net.layers[l] as Layer;
    const next = ruleFor(layer).propagate(
      layer,
      inputInterval(net, l, bounds),
      net.inShapes[l] as Shape,
      net.shapes[l + 1] as Shape,
    );
    const old = parent[l + 1] as Interval;
    // (plain loops: branch and bound splits every domain, and a callback per unit was 5 % of it)
    const lo2 = new Float64Array(next.lo.length);
    const hi2 = new Float64Array(next.hi.length);
    for (let i = 0; i < lo2.length; i++) {
      lo2[i] = Math.max(next.lo[i] as number, old.lo[i] as number);
      hi2[i] = Math.min(next.hi[i] as number, old.hi[i] as number);
      if ((lo2[i] as number) > (hi2[i] as number)) return undefined;
    }
    bounds[l + 1] = { lo: lo2, hi: hi2 };
  }
  return bounds;
}

/** The values a ReLU reads, with the layer index of that ReLU (the units a split can choose). */
export function reluInputs(net: Network): { readonly layer: number; readonly value: number }[] {
  return net.layers.flatMap((layer, l) =>
    layer.kind === "relu" ? [{ layer: l, value: (net.inputs[l] as readonly number[])[0] as number }] : [],
  );
}
