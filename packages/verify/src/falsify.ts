// The falsifier of `rho verify`: APGD (momentum, a step that halves where the loss stalls) on the
// output conditions' margin over one case's input box, and the check every counterexample passes.
// One run against all the open conjunctions at once follows whichever is nearest to holding, as
// an untargeted attack does; a run per conjunction aims at each in turn (a targeted attack).
import { type AttackContext, apgdAscent, float32Logits } from "@rho/attacks";
import { linearLowerBounds } from "@rho/bounds";
import type { Network } from "@rho/models";
import { ballOf } from "./ball.js";
import { clampToBox, inBox, satisfies } from "./semantics.js";
import type { OutputRow, SpecCase } from "./vnnlib.js";

/**
 * The float64 outputs at x when x lies in the case's box and both the float64 and the float32
 * forward passes satisfy every row (a counterexample as a competition replays it); else undefined.
 */
export async function confirmed(
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

export interface FalsifyOptions {
  /** Runs against all the conjunctions from random points of the box, after the first from its centre. */
  readonly restarts: number;
  /** APGD steps per run. */
  readonly steps: number;
  /** performance.now() past which no step is taken. */
  readonly deadline: number;
  /** Uniform numbers in [0, 1): the random starts. */
  readonly rand: () => number;
}

export type FalsifyResult =
  | { readonly status: "sat"; readonly x: Float64Array; readonly y: Float64Array }
  | { readonly status: "none" | "late" };

/**
 * A confirmed counterexample to one of `conjunctions` inside case c's box, by APGD runs on the
 * margin m(x) = min over conjunctions of max over their rows of coef·y − bound (≤ 0: one holds):
 * the first from the centre (the ball's, where the box is a clipped ball, else the box's) against
 * all of them, then one from the centre per conjunction, then `restarts` from random points.
 */
export async function falsify(
  net: Network,
  ctx: AttackContext,
  c: SpecCase,
  conjunctions: readonly (readonly OutputRow[])[],
  opts: FalsifyOptions,
): Promise<FalsifyResult> {
  const radius = halfWidths(c);
  const centre = ballOf(c)?.center ?? Float64Array.from(c.lo, (l, i) => l + (radius[i] as number));
  // drawn one at a time: a long run (many restarts, ended by the deadline) holds one start at once
  function* starts(): Generator<{ x: Float64Array; aims: readonly (readonly OutputRow[])[] }> {
    yield { x: centre, aims: conjunctions };
    if (conjunctions.length > 1) for (const rows of conjunctions) yield { x: centre, aims: [rows] };
    for (let s = 0; s < opts.restarts; s++)
      yield {
        x: Float64Array.from(c.lo, (l, i) => l + 2 * opts.rand() * (radius[i] as number)),
        aims: conjunctions,
      };
  }
  for (const { x, aims } of starts()) {
    const r = await apgdRun(net, ctx, c, aims, x, opts.steps, 2, opts.deadline);
    if (r.status !== "none") return r;
  }
  return { status: "none" };
}

/**
 * One APGD run from `from` against `rows`, its first step 1 % of the box's width: a search near a
 * candidate (a MILP solution the float32 check refused) for a point that crosses the rows.
 */
export function polish(
  net: Network,
  ctx: AttackContext,
  c: SpecCase,
  rows: readonly OutputRow[],
  from: Float64Array,
  steps: number,
  deadline: number,
): Promise<FalsifyResult> {
  return apgdRun(net, ctx, c, [rows], from, steps, 0.02, deadline);
}

const halfWidths = (c: SpecCase) => Float64Array.from(c.hi, (h, i) => (h - (c.lo[i] as number)) / 2);

/** One APGD run on the margin of `aims` from x (first step η = eta0), every point it finds confirmed. */
async function apgdRun(
  net: Network,
  ctx: AttackContext,
  c: SpecCase,
  aims: readonly (readonly OutputRow[])[],
  x: Float64Array,
  steps: number,
  eta0: number,
  deadline: number,
): Promise<FalsifyResult> {
  if (performance.now() >= deadline) return { status: "late" };
  let found: { x: Float64Array; y: Float64Array } | undefined;
  let late = false;
  const evaluate = async (p: Float64Array) => {
    if (performance.now() >= deadline) {
      late = true;
      return undefined;
    }
    const { logits: y, activations } = net.forward64(p);
    for (const rows of aims) {
      if (!satisfies(rows, y)) continue;
      const y64 = await confirmed(net, ctx, c, rows, p);
      if (y64) {
        found = { x: p, y: y64 };
        return undefined;
      }
    }
    return marginAndGradient(net, aims, p, activations);
  };
  const project = (v: ArrayLike<number>) => clampToBox(c, v);
  const { last } = await apgdAscent(x, halfWidths(c), project, evaluate, steps, eta0);
  if (found) return { status: "sat", ...found };
  if (late) return { status: "late" };
  // the last step's point, never evaluated inside the run
  for (const rows of aims) {
    const y = await confirmed(net, ctx, c, rows, last);
    if (y) return { status: "sat", x: last, y };
  }
  return { status: "none" };
}

/**
 * −m at x for APGD to climb, and its gradient: that of the row attaining m, carried back through
 * the network by CROWN's backward pass over the one-point box {x}, every layer's bounds its float64
 * value at x (`activations`, from forward64), so that every ReLU's relaxation is its line through
 * x: the gradient, in float64, several times faster than TensorFlow.js's on these networks.
 */
function marginAndGradient(
  net: Network,
  conjunctions: readonly (readonly OutputRow[])[],
  x: Float64Array,
  activations: readonly Float64Array[],
): { value: number; grad: Float64Array } {
  const y = activations[activations.length - 1] as Float64Array;
  let m = Number.POSITIVE_INFINITY;
  let at: OutputRow | undefined;
  for (const rows of conjunctions) {
    let worst = Number.NEGATIVE_INFINITY;
    let row: OutputRow | undefined;
    for (const r of rows) {
      let v = -r.bound;
      for (let j = 0; j < r.coef.length; j++) v += (r.coef[j] as number) * (y[j] as number);
      if (v > worst) [worst, row] = [v, r];
    }
    if (worst < m) [m, at] = [worst, row];
  }
  const point = { lo: x, hi: x };
  const coef = Float64Array.from((at as OutputRow).coef);
  const bounds = activations.map((a) => ({ lo: a, hi: a }));
  const f = linearLowerBounds(net, bounds, net.layers.length, [coef], point);
  return { value: -m, grad: (f.coef[0] as Float64Array).map((g) => -g) };
}
