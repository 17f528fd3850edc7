// One VNN-LIB property on one network: sat (a counterexample checked by float64 and float32
// forward passes), unsat (CROWN's bounds, sound for the float32 network, rule out every case), or
// unknown / timeout. The input X is the network's own input: load the model with an identity
// preprocessing (rho verify does) so that pixels are the property's X_i.
import { type AttackContext, lossAndGradient, tfjsContext } from "@rho/attacks";
import { crownBounds, lowerBounds } from "@rho/bounds";
import { argmax, type Network, prng } from "@rho/models";
import type * as tf from "@tensorflow/tfjs";
import { inBox } from "./semantics.js";
import type { OutputRow, SpecCase, VnnSpec } from "./vnnlib.js";

export type VerifyStatus = "sat" | "unsat" | "unknown" | "timeout";

export interface VerifyResult {
  readonly status: VerifyStatus;
  /** What decided: sampling or pgd (sat), crown (unsat); absent for unknown and timeout. */
  readonly stage?: "sample" | "pgd" | "crown";
  /** sat: the counterexample and the float64 outputs it gives. */
  readonly x?: Float64Array;
  readonly y?: Float64Array;
  readonly seconds: number;
  /** Conjunctions of output conditions (over all cases) the bounds ruled out, of all. */
  readonly refuted: number;
  readonly conjunctions: number;
}

export class VerifyInputError extends Error {
  override name = "VerifyInputError";
}

export interface VerifyOptions {
  /** Seconds for the whole property (default 60). */
  readonly timeout?: number;
  readonly seed?: number;
  /** PGD: restarts per unrefuted conjunction and steps per restart (defaults 5 and 100). */
  readonly restarts?: number;
  readonly steps?: number;
  /** The float32 check's context (default: the network's TensorFlow.js model). */
  readonly ctx?: AttackContext;
}

const satisfies = (rows: readonly OutputRow[], y: ArrayLike<number>): boolean =>
  rows.every((r) => {
    let s = 0;
    for (let j = 0; j < r.coef.length; j++) s += (r.coef[j] as number) * (y[j] as number);
    return s <= r.bound;
  });

/**
 * A counterexample for `rows` in case `c`, checked: inside the box exactly, every logit finite,
 * and the rows satisfied by the float64 and the float32 forward pass alike (competitions replay
 * counterexamples in float32: a float64-only witness is none).
 */
async function confirmed(
  net: Network,
  ctx: AttackContext,
  c: SpecCase,
  rows: readonly OutputRow[],
  x: Float64Array,
): Promise<Float64Array | undefined> {
  if (!inBox(c, x)) return undefined;
  const y64 = net.forward64(x).logits;
  if (!y64.every(Number.isFinite) || !satisfies(rows, y64)) return undefined;
  const y32 = Float64Array.from(await (ctx.logits32 as NonNullable<AttackContext["logits32"]>)([x]));
  if (!y32.every(Number.isFinite) || !satisfies(rows, y32)) return undefined;
  return y64;
}

/** Decides one property (see the file's comment); throws VerifyInputError when sizes differ. */
export async function verifyProperty(
  net: Network,
  spec: VnnSpec,
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  const t0 = performance.now();
  if (spec.inputs !== net.inputSize)
    throw new VerifyInputError(`the property has ${spec.inputs} inputs, the network ${net.inputSize}`);
  if (spec.outputs !== net.outputSize)
    throw new VerifyInputError(`the property has ${spec.outputs} outputs, the network ${net.outputSize}`);
  const deadline = t0 + 1000 * (opts.timeout ?? 60);
  const late = () => performance.now() >= deadline;
  const ctx = opts.ctx?.logits32 ? opts.ctx : await tfjsContext(net);
  const rand = prng(opts.seed ?? 1);
  const seconds = () => (performance.now() - t0) / 1000;
  const conjunctions = spec.cases.reduce((n, c) => n + c.outputs.length, 0);
  const done = (status: VerifyStatus, refuted: number, extra: Partial<VerifyResult> = {}): VerifyResult => ({
    status,
    seconds: seconds(),
    refuted,
    conjunctions,
    ...extra,
  });
  const sat = (stage: "sample" | "pgd", x: Float64Array, y: Float64Array, refuted: number) =>
    done("sat", refuted, { stage, x, y });

  // 1. cheap samples: each box's centre and a few random points
  for (const c of spec.cases) {
    const points = [Float64Array.from(c.lo, (l, i) => (l + (c.hi[i] as number)) / 2)];
    for (let k = 0; k < 4; k++)
      points.push(Float64Array.from(c.lo, (l, i) => l + rand() * ((c.hi[i] as number) - l)));
    for (const x of points)
      for (const rows of c.outputs) {
        const y = await confirmed(net, ctx, c, rows, x);
        if (y) return sat("sample", x, y, 0);
      }
  }

  // 2. CROWN: a conjunction is ruled out when one of its rows is bounded above its right-hand side
  const open: { c: SpecCase; rows: readonly OutputRow[] }[] = [];
  let refuted = 0;
  const L = net.layers.length;
  for (const c of spec.cases) {
    if (late()) return done("timeout", refuted);
    const pixels = { lo: c.lo, hi: c.hi };
    const { bounds } = crownBounds(net, pixels);
    const logits = bounds[L] as { lo: Float64Array; hi: Float64Array };
    for (const rows of c.outputs) {
      const lb = rows.length
        ? lowerBounds(
            net,
            bounds,
            L,
            rows.map((r) => Float64Array.from(r.coef)),
            pixels,
          )
        : [];
      const out = rows.some((r, i) => {
        // IBP's bound of coef·y from the logits' interval, and CROWN's: the better one
        let ibp = 0;
        for (let j = 0; j < r.coef.length; j++) {
          const a = r.coef[j] as number;
          ibp += a * (a >= 0 ? (logits.lo[j] as number) : (logits.hi[j] as number));
        }
        return Math.max(ibp, lb[i] as number) > r.bound;
      });
      if (out) refuted++;
      else open.push({ c, rows });
    }
  }
  if (open.length === 0) return done("unsat", refuted, { stage: "crown" });

  // 3. PGD on each open conjunction: minimise max_r (coef_r·y − bound_r) over the box
  const restarts = opts.restarts ?? 5;
  const steps = opts.steps ?? 100;
  for (const { c, rows } of open) {
    const loss = (logits: tf.Tensor1D): tf.Scalar => {
      const terms = rows.map((r) => logits.mul(Array.from(r.coef)).sum().sub(r.bound));
      return (terms.length === 1 ? terms[0] : terms.reduce((a, b) => a.maximum(b))) as tf.Scalar;
    };
    const width = Float64Array.from(c.hi, (h, i) => h - (c.lo[i] as number));
    for (let s = 0; s < restarts; s++) {
      let x = Float64Array.from(c.lo, (l, i) => l + rand() * (width[i] as number));
      for (let k = 0; k < steps; k++) {
        if (late()) return done("timeout", refuted);
        const { value, grad } = await lossAndGradient(ctx, x, loss);
        if (value <= 0) {
          const y = await confirmed(net, ctx, c, rows, x);
          if (y) return sat("pgd", x, y, refuted);
        }
        const step = 0.25 * (1 - k / steps) + 0.01;
        x = Float64Array.from(x, (v, i) => {
          const g = grad[i] as number;
          const moved = v - step * (width[i] as number) * Math.sign(g);
          return Math.min(c.hi[i] as number, Math.max(c.lo[i] as number, moved));
        });
      }
      const y = await confirmed(net, ctx, c, rows, x);
      if (y) return sat("pgd", x, y, refuted);
    }
  }
  return done(late() ? "timeout" : "unknown", refuted);
}

/** The counterexample as VNN-COMP writes it: every X_i, then every Y_j. */
export function counterexampleText(x: ArrayLike<number>, y: ArrayLike<number>): string {
  const lines = [...Array.from(x, (v, i) => `(X_${i} ${v})`), ...Array.from(y, (v, j) => `(Y_${j} ${v})`)];
  return `(${lines.join("\n ")})\n`;
}

/** The label the network gives x (for messages): the float64 pass's. */
export const labelOf = (net: Network, x: ArrayLike<number>): number => argmax(net.forward64(x).logits);
