// One VNN-LIB property on one network: sat (a counterexample checked by float64 and float32
// forward passes), unsat (CROWN's bounds, sound for the float32 network, rule out every case), or
// unknown / timeout. The input X is the network's own input: load the model with an identity
// preprocessing (rho verify does) so that pixels are the property's X_i.
import { type AttackContext, float32Logits, lossAndGradient } from "@rho/attacks";
import { crownBounds, float32ErrorBound, type Interval, lowerBounds, propertyMilp } from "@rho/bounds";
import { type Network, prng, type Shape, size } from "@rho/models";
import { getSolver } from "@rho/solvers";
import type * as tf from "@tensorflow/tfjs";
import { inBox, satisfies } from "./semantics.js";
import type { OutputRow, SpecCase, VnnSpec } from "./vnnlib.js";

export type VerifyStatus = "sat" | "unsat" | "unknown" | "timeout";
export type Stage = "sample" | "pgd" | "crown" | "milp";

export interface VerifyResult {
  readonly status: VerifyStatus;
  /** What decided: sampling, pgd or milp (sat), crown or milp (unsat); absent for unknown and timeout. */
  readonly stage?: Stage;
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
  /** Networks up to this many ReLUs get the MILP stage (default 2,000: mnistfc's 256×6 has 1,536). */
  readonly milpUnits?: number;
  /** PGD: restarts per unrefuted conjunction and steps per restart (defaults 5 and 100). */
  readonly restarts?: number;
  readonly steps?: number;
  /** The float32 check's context (default: the network's TensorFlow.js model, made once per network). */
  readonly ctx?: AttackContext;
}

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
  const y32 = await float32Logits(ctx, [x]);
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
  // the float32 passes and gradients use one TensorFlow.js model per network, made once
  const ctx: AttackContext = opts.ctx ?? { net };
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
  const sat = (stage: "sample" | "pgd" | "milp", x: Float64Array, y: Float64Array, refuted: number) =>
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
  const open: { c: SpecCase; rows: readonly OutputRow[]; bounds: Interval[] }[] = [];
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
      else open.push({ c, rows, bounds });
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
  // 4. the MILP on small networks, each open conjunction with the time left shared out. Unsat needs
  // every real-arithmetic output at least float32's error (a bound propagated through the network)
  // beyond the rows, so that it holds for the float32 network too; a solution is a candidate only
  const units = net.layers.reduce(
    (n, layer, l) => n + (layer.kind === "relu" ? size(net.shapes[l + 1] as Shape) : 0),
    0,
  );
  if (units <= (opts.milpUnits ?? 2000)) {
    const highs = await getSolver("highs");
    // the float32 error bound depends on the case's box only: once per case
    const errors = new Map<SpecCase, Float64Array>();
    /** One feasibility MILP over these rows: its status, and its pixels when it has a solution. */
    const solve = async (c: SpecCase, bounds: Interval[], rows: readonly OutputRow[], seconds: number) => {
      const m = propertyMilp(net, { lo: c.lo, hi: c.hi }, bounds, rows);
      const r = await highs.solve(m.lp, { timeLimit: Math.max(0.05, seconds) });
      const x =
        r.status === "optimal" && r.primal
          ? Float64Array.from(m.pixels, (col) => r.primal?.[col] as number)
          : undefined;
      return { status: r.status, x };
    };
    let left = open.length;
    let closed = 0;
    for (const { c, rows, bounds } of open) {
      const secondsLeft = (deadline - performance.now()) / 1000;
      if (secondsLeft <= 0.05) break;
      let err = errors.get(c);
      if (!err) {
        err = float32ErrorBound(net, bounds, { lo: c.lo, hi: c.hi });
        errors.set(c, err);
      }
      const e = err;
      const logits = bounds[L] as Interval;
      const slack = (r: OutputRow) => {
        // float32's error, and the MILP solver's feasibility tolerance relative to the logits' size
        let s = 0;
        let scale = 1;
        for (let j = 0; j < r.coef.length; j++) {
          const a = Math.abs(r.coef[j] as number);
          s += a * (e[j] as number);
          scale += a * Math.max(Math.abs(logits.lo[j] as number), Math.abs(logits.hi[j] as number));
        }
        return s + 1e-6 * scale;
      };
      const widened = await solve(
        c,
        bounds,
        rows.map((r) => ({ coef: r.coef, bound: r.bound + slack(r) })),
        secondsLeft / left,
      );
      left--;
      if (widened.status === "infeasible") {
        refuted++;
        closed++;
        continue;
      }
      if (widened.x) {
        // the widened rows let in points just outside the real ones: try the point, then the MILP
        // with the rows narrowed by the same slack, whose points satisfy the rows in float32 too
        const y = await confirmed(net, ctx, c, rows, widened.x);
        if (y) return sat("milp", widened.x, y, refuted);
        const narrowed = await solve(
          c,
          bounds,
          rows.map((r) => ({ coef: r.coef, bound: r.bound - slack(r) })),
          (deadline - performance.now()) / 1000 / (left + 1),
        );
        const y2 = narrowed.x && (await confirmed(net, ctx, c, rows, narrowed.x));
        if (narrowed.x && y2) return sat("milp", narrowed.x, y2, refuted);
      }
    }
    if (closed === open.length) return done("unsat", refuted, { stage: "milp" });
  }
  return done(late() ? "timeout" : "unknown", refuted);
}

/** The counterexample as VNN-COMP writes it: every X_i, then every Y_j. */
export function counterexampleText(x: ArrayLike<number>, y: ArrayLike<number>): string {
  const lines = [...Array.from(x, (v, i) => `(X_${i} ${v})`), ...Array.from(y, (v, j) => `(Y_${j} ${v})`)];
  return `(${lines.join("\n ")})\n`;
}
