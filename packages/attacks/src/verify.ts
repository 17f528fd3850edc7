import { argmax } from "@rho/models";
import type { AttackContext, AttackOptions, AttackResult } from "./attack.js";

/** L∞ distance in pixel units. */
export function linf(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** A copy of x with every value clipped into the box (solvers may overshoot by their tolerance). */
export function clipToBox(x: ArrayLike<number>, box: readonly [number, number]): Float64Array {
  return Float64Array.from(x as ArrayLike<number>, (v) => Math.min(box[1], Math.max(box[0], v)));
}

/**
 * The labels to attack: the second most probable (the paper's choice, default), every other
 * label ("all"), or one given label.
 */
export function pickTargets(
  logits: ArrayLike<number>,
  label: number,
  target: AttackOptions["target"],
): number[] {
  const others = Array.from({ length: logits.length }, (_, j) => j).filter((j) => j !== label);
  if (target === "all") return others;
  if (typeof target === "number") {
    // a point's own label is a per-point condition of a run with a fixed target: an error row
    if (target === label) throw new Error(`target ${target} is the point's own label: nothing to reach`);
    if (!(Number.isInteger(target) && target >= 0 && target < logits.length))
      throw new RangeError(`target ${target} is not a label of this model (0..${logits.length - 1})`);
    return [target];
  }
  let best = others[0] as number;
  for (const j of others) if ((logits[j] as number) > (logits[best] as number)) best = j;
  return [best];
}

/**
 * Checks a proposed example by forward passes: float64 (the IR), float32 (the deployed
 * TensorFlow.js model, when the context offers it) and float64 after rounding to integer pixels.
 */
export async function verifyExample(
  ctx: AttackContext,
  label: number,
  example: Float64Array,
  box: readonly [number, number],
): Promise<NonNullable<AttackResult["verified"]>> {
  const net = ctx.net;
  const predicted64 = argmax(net.forward64(example).logits);
  const rounded = example.map((v) => Math.min(box[1], Math.max(box[0], Math.round(v))));
  const verified = {
    predicted: predicted64,
    float64: predicted64 !== label,
    rounded: net.predict64(rounded) !== label,
  };
  if (!ctx.predict32) return verified;
  const [p32] = Array.from(await ctx.predict32([example]));
  return { ...verified, float32: p32 !== label };
}
