// The two ways an alp-walk step picks where to go from the current point: by the margin LP on
// the current region's affine model (fast), or by the margin LP over the region itself (exact).
import type { LinearProgram, RowBatch, TieRule } from "@rho/constraints";
import { formsToRows, LinearRegion } from "@rho/encoders";
import type { AttackContext } from "./attack.js";
import { marginGradients } from "./gradients.js";
import { solveOptions } from "./region-forms/form.js";
import { lpFailure, type RegionLpOptions, regionFormulation } from "./region-lp.js";
import { clipToBox } from "./verify.js";

/** What every step of one attack run shares. */
export interface StepContext {
  readonly ctx: AttackContext;
  readonly box: readonly [number, number];
  readonly ties: TieRule;
  readonly lp: RegionLpOptions;
}

/** Where a step starts: the point, its linear region (memoised gradients not needed), the target and the ε-ball as bounds. */
export interface StepFrom {
  readonly at: Float64Array;
  readonly region: LinearRegion;
  readonly target: number;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Half-width of the box around `at` a "ray" step's LP may reach into. */
  readonly reach: number;
}

/** Where one step aims: `to`, and the fraction of the segment at → to that stays in at's region. */
export interface Aim {
  readonly to: Float64Array;
  readonly exit: number;
}

/** One margin LP per call; a string says why it failed. */
export type WalkStep = (c: StepContext, from: StepFrom) => Promise<Aim | string>;

/** The margin LP of a "ray" step keeps the rows of this many labels nearest the target. */
const COMPETITORS = 4;

/** max m over the pixels (columns 0..n−1) and m (column n), within the given pixel bounds. */
function marginProgram(rows: RowBatch, lower: Float64Array, upper: Float64Array): LinearProgram {
  const n = lower.length;
  const objective = new Float64Array(n + 1);
  objective[n] = 1;
  return {
    numCols: n + 1,
    sense: "max",
    objective,
    objectiveOffset: 0,
    colLower: Float64Array.from([...lower, Number.NEGATIVE_INFINITY]),
    colUpper: Float64Array.from([...upper, Number.POSITIVE_INFINITY]),
    rows,
  };
}

/**
 * The margin LP on the region's affine model alone (no region rows: milliseconds), over the
 * ε-ball ∩ a box of half-width `reach` around the point, and where the segment from the point to
 * its optimum leaves the region.
 */
export const rayStep: WalkStep = async ({ ctx, box, lp }, { at, region, target, lower, upper, reach }) => {
  const net = ctx.net;
  // float64 logits at the point, from the region's own forward pass
  const z = region.activations[region.activations.length - 1] as Float64Array;
  const n = net.inputSize;
  // the labels closest to the target only: the others are far behind within one step's reach
  const others = Array.from({ length: net.outputSize }, (_, j) => j)
    .filter((j) => j !== target)
    .sort((a, b) => (z[b] as number) - (z[a] as number))
    .slice(0, COMPETITORS);
  const grads = await marginGradients(ctx, at, target, others);
  // rows g_j·y − m ≥ g_j·at − margin_j(at): the margins' affine model on at's region, over the
  // pixels and m (column n)
  const columns = Int32Array.from({ length: n + 1 }, (_, i) => i);
  const forms = others.map((j, r) => {
    const g = grads[r] as Float64Array;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += (g[i] as number) * (at[i] as number);
    const values = new Float64Array(n + 1);
    values.set(g);
    values[n] = -1;
    return { indices: columns, values, constant: (z[target] as number) - (z[j] as number) - dot };
  });
  const rows = formsToRows(forms, (f) => [-f.constant, Number.POSITIVE_INFINITY]);
  const program = marginProgram(
    rows,
    Float64Array.from(lower, (v, i) => Math.max(v, (at[i] as number) - reach)),
    Float64Array.from(upper, (v, i) => Math.min(v, (at[i] as number) + reach)),
  );
  const result = await lp.solver.solve(program, solveOptions(lp));
  if (result.status !== "optimal" || !result.primal) return lpFailure("margin LP", result).error;
  const to = clipToBox(result.primal.subarray(0, n), box);
  // the region's inequalities are affine along the segment: it leaves at the first one to reach 0
  const v0 = region.evaluateCenter().values;
  const v1 = region.evaluate(to).values;
  let exit = 1;
  for (let k = 0; k < v0.length; k++) {
    const a = Math.max(0, v0[k] as number);
    const b = v1[k] as number;
    if (b < 0) exit = Math.min(exit, a / (a - b));
  }
  return { to, exit };
};

/** The margin LP over the region ∩ the ε-ball itself, by iterative constraint solving (seconds a region). */
export const regionLpStep: WalkStep = async ({ ctx, box, ties, lp }, { at, target, lower, upper }) => {
  const net = ctx.net;
  const region = new LinearRegion(net, at, { ties });
  const form = regionFormulation(region, lp, 1);
  const base = marginProgram(form.targetRows(target, 0, net.inputSize), lower, upper);
  const { result } = await form.solve(base, lp);
  if (result.status !== "optimal" || !result.primal) return lpFailure("margin LP", result).error;
  // the optimum lies in the region; the walk continues along the same direction beyond it
  return { to: clipToBox(result.primal.subarray(0, net.inputSize), box), exit: 1 };
};
