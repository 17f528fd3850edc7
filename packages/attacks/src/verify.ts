import { linf } from "@rho/constraints";
import { argmax } from "@rho/models";
import type { AttackContext, AttackOptions, AttackResult } from "./attack.js";
import { float32Logits } from "./context.js";

/** L∞ distance in pixel units (its one home is @rho/constraints; re-exported for attack authors). */
export { linf };

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
 * Why a proposed example cannot even be checked, or undefined: it must hold one finite number per
 * input value, each inside the pixel box (verification never clips: the example reported is the
 * example checked).
 */
export function exampleDefect(
  example: ArrayLike<number>,
  size: number,
  box: readonly [number, number],
): string | undefined {
  if (example.length !== size) return `the example has ${example.length} values, the input ${size}`;
  for (let i = 0; i < size; i++) {
    const v = example[i];
    if (typeof v !== "number" || !Number.isFinite(v))
      return `the example's value ${i} is ${String(v)}, not a finite number`;
    if (v < box[0] || v > box[1])
      return `the example's value ${i} = ${v} is outside the pixel box [${box[0]}, ${box[1]}]`;
  }
  return undefined;
}

const finiteArgmax = (logits: ArrayLike<number>): number => {
  for (let i = 0; i < logits.length; i++) if (!Number.isFinite(logits[i] as number)) return -1;
  return argmax(logits);
};

/**
 * Checks a well-formed example (see exampleDefect) by forward passes: float64 (the IR), float32
 * (the deployed TensorFlow.js model: the context's, or built from the network) and float64 after
 * rounding to integer pixels. A pass whose logits are not all finite confirms nothing.
 */
export async function verifyExample(
  ctx: AttackContext,
  label: number,
  example: Float64Array,
  box: readonly [number, number],
): Promise<NonNullable<AttackResult["verified"]>> {
  const net = ctx.net;
  const predicted64 = finiteArgmax(net.forward64(example).logits);
  const rounded = example.map((v) => Math.min(box[1], Math.max(box[0], Math.round(v))));
  const predictedRounded = finiteArgmax(net.forward64(rounded).logits);
  const predicted32 = finiteArgmax(await float32Logits(ctx, [example]));
  return {
    predicted: predicted64,
    float64: predicted64 >= 0 && predicted64 !== label,
    float32: predicted32 >= 0 && predicted32 !== label,
    rounded: predictedRounded >= 0 && predictedRounded !== label,
  };
}

/**
 * The first of x* + t·(x − x*) for t in `scales` (clipped to the box) that both the float64 and
 * the float32 network label otherwise than x*: an example found on the float64 decision boundary
 * (a line search's, a shrinking radius') where float32 may still give the label, moved just far
 * enough out to count.
 */
export async function outwardExample(
  ctx: AttackContext,
  center: ArrayLike<number>,
  x: ArrayLike<number>,
  label: number,
  box: readonly [number, number],
  scales: readonly number[],
): Promise<{ x: Float64Array; scale: number } | undefined> {
  for (const t of scales) {
    const candidate = clipToBox(
      Array.from(center, (v, i) => v + t * ((x[i] as number) - v)),
      box,
    );
    if (ctx.net.predict64(candidate) === label) continue;
    const z32 = await float32Logits(ctx, [candidate]);
    if (z32.every(Number.isFinite) && argmax(z32) !== label) return { x: candidate, scale: t };
  }
  return undefined;
}
