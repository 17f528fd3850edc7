// The LP options ALP and its region walk share, and the formulation they ask for.
import { concatRows, type LinearProgram, linf, minLinfProgram, type TieRule } from "@rho/constraints";
import { formulationSizes, type LinearRegion } from "@rho/encoders";
import type { Network } from "@rho/models";
import { getSolver, type LpResult, solverNames, supportsInteriorPoint } from "@rho/solvers";
import { AttackOptionError, type GivenOptions, type OptionsOf, optionSchema } from "./options.js";
import type { RegionFormulation, RegionLpOptions } from "./region-forms/form.js";
import { HiddenFormulation } from "./region-forms/hidden.js";
import { PixelFormulation } from "./region-forms/pixels.js";
import { clipToBox } from "./verify.js";

export type {
  FormulationName,
  RegionFormulation,
  RegionLpOptions,
  RegionSolve,
} from "./region-forms/form.js";

/**
 * z_ℓ ≥ z_j + margin for every other label j. With margin 0 the optimum sits exactly on the
 * decision boundary (z_ℓ = z_j), where float arithmetic may pick either label; 1e-3 logit units
 * make the witness strictly adversarial and raise ρ̂ a little (compare `npx rho attack --model
 * lenet --index 18 --margin 0.001` with `--margin 0.000001`).
 */
export const DEFAULT_MARGIN = 1e-3;

/** The options of every attack that solves LPs over linear regions (declared once, spread into each). */
export const LP_OPTIONS = optionSchema({
  solver: { type: "string", values: solverNames, default: "highs", help: "LP solver" },
  iterative: {
    type: "boolean",
    default: true,
    help: "iterative constraint solving (false: every region row up front)",
  },
  timeLimit: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    help: "wall-clock limit per LP, seconds; a point whose LP hits it is a timeout row",
  },
  rowsPerRound: {
    type: "integer",
    min: 1,
    help: "iterative solving adds at most this many violated rows a round, the most violated first (default: over the pixels, half the input's pixel count; over hidden variables, all)",
  },
  seed: {
    type: "string",
    values: ["auto", "tight", "none"],
    default: "auto",
    help: "region rows in the first LP: those tight at the region's centre, or none; auto: none over the pixels, tight over hidden variables",
  },
  margin: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: DEFAULT_MARGIN,
    help: "the target must beat every other logit by this much",
  },
  ties: { type: "string", values: ["first"], default: "first", help: "how tied disjunctions are resolved" },
  lpMethod: {
    type: "string",
    values: ["auto", "simplex", "interior"],
    default: "auto",
    help: "LP algorithm: simplex, interior point (then crossover to a vertex; highs), or auto: interior over the pixels from 1,500 pixels up, where the solver has it",
  },
  lpOptions: {
    type: "string",
    pattern: { re: /^\s*[\w.]+\s*=[^;=]+(;\s*[\w.]+\s*=[^;=]+)*;?\s*$/, form: "name=value;name=value" },
    help: 'the LP solver\'s own options, "name=value;name=value" (HiGHS names, e.g. simplex_scale_strategy=4)',
  },
  formulation: {
    type: "string",
    values: ["auto", "pixels", "hidden"],
    default: "auto",
    help: "region LP over the pixels (dense rows) or over hidden variables (sparse rows); auto picks by size",
  },
});

/**
 * What a caller may give an LP attack of its LP options. Not set: `timeLimit` (no limit) and
 * `rowsPerRound` (over the pixels half as many as the input has pixels, 392 on MNIST; over hidden
 * variables every violated row). "auto" `seed`: no region rows in the first LP over the pixels,
 * those tight at the centre over hidden variables; "auto" `lpMethod`: interior point over the
 * pixels from 1,500 pixels up where the solver has one (`INTERIOR_FROM_PIXELS`), simplex
 * otherwise; "auto" `formulation`: by estimated size (`chooseFormulation`).
 */
export type LpAttackOptions = GivenOptions<typeof LP_OPTIONS>;

/** The LP options as a search receives them (checked, defaults filled in). */
export type LpSettings = OptionsOf<typeof LP_OPTIONS>;

/** A region LP that did not end optimal or infeasible, as a search failure (a time limit is a timeout). */
export const lpFailure = (what: string, r: { status: LpResult["status"]; message?: string }) => ({
  error: `${what} ended ${r.status}${r.message ? ` (${r.message})` : ""}`,
  ...(r.status === "time_limit" ? { timeout: true } : {}),
});

/** The solver and strategy an LP attack's options ask for, with the defaults filled in. */
export async function regionLpOptions(opts: LpSettings): Promise<RegionLpOptions> {
  const solver = await getSolver(opts.solver);
  if (opts.lpMethod === "interior" && !supportsInteriorPoint(solver))
    throw new AttackOptionError(
      `lpMethod: ${solver.name} has no interior point method (use --opt solver=highs)`,
    );
  return {
    solver,
    iterative: opts.iterative,
    seed: opts.seed,
    method: opts.lpMethod,
    ...(opts.rowsPerRound !== undefined ? { rowsPerRound: opts.rowsPerRound } : {}),
    formulation: opts.formulation,
    ...(opts.timeLimit !== undefined ? { timeLimit: opts.timeLimit } : {}),
    ...(opts.lpOptions ? { solverOptions: parseLpOptions(opts.lpOptions) } : {}),
  };
}

/** "name=value;name=value" → options; numbers and true/false as such, the rest as strings. */
export function parseLpOptions(text: string): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const part of text
    .split(";")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new AttackOptionError(`lpOptions: "${part}" is not name=value`);
    const name = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    out[name] =
      raw === "true"
        ? true
        : raw === "false"
          ? false
          : raw !== "" && Number.isFinite(Number(raw))
            ? Number(raw)
            : raw;
  }
  return out;
}

/**
 * The formulation the options ask for, over this region, with `reserved` caller columns after
 * the pixels. "auto": see `chooseFormulation`.
 */
export function regionFormulation(
  region: LinearRegion,
  o: RegionLpOptions,
  reserved: number,
): RegionFormulation {
  const name = o.formulation === "auto" ? chooseFormulation(region) : o.formulation;
  return name === "hidden" ? new HiddenFormulation(region, reserved) : new PixelFormulation(region);
}

/**
 * The hidden form pays for its sparsity with many more rows and columns: at 0.52× the pixel
 * form's nonzeros (the shipped MLP) its points took 1.4× as long, at 2× (the shipped LeNet) its
 * simplex iterations cost 13–17 ms against 0.8 ms and HiGHS stopped without a conclusion
 * (benchmarks/alp/README.md). So it is chosen only where it is far smaller.
 */
export const HIDDEN_ADVANTAGE = 4;

/**
 * Each network's "auto" choice, made once from its first region: the sizes follow the layers'
 * shapes and fan-ins, which a point's ReLU states change only a little, and estimating them per
 * LP (every descent step, every walk's final LP) repeated the same walk of the network.
 */
const chosen = new WeakMap<LinearRegion["net"], "pixels" | "hidden">();

/** "auto": the hidden form where its estimated nonzeros are under 1/HIDDEN_ADVANTAGE of the pixel form's. */
export function chooseFormulation(region: LinearRegion): "pixels" | "hidden" {
  let name = chosen.get(region.net);
  if (!name) {
    const { pixelNonzeros, hiddenNonzeros } = formulationSizes(region);
    name = hiddenNonzeros * HIDDEN_ADVANTAGE < pixelNonzeros ? "hidden" : "pixels";
    chosen.set(region.net, name);
  }
  return name;
}

/**
 * One ALP question (paper §4), asked of one linear region or several: how close to x* (of label
 * `label`, in the pixel box) a point can be with `target` beating every other label by `margin`,
 * and how the LPs are solved.
 */
export interface AlpQuery {
  readonly net: Network;
  readonly center: Float64Array;
  readonly box: readonly [number, number];
  readonly label: number;
  readonly target: number;
  readonly margin: number;
  readonly lp: RegionLpOptions;
  /** How tied disjunctions are resolved in the regions built on the way (descent). */
  readonly ties: TieRule;
}

/**
 * The ALP LP over a region that need not contain x*: min ‖x − x*‖∞ over the box with `target`
 * beating every other label by `margin`, x inside the region. Its optimum is the exact distance
 * from x* to the nearest such point of that region: a valid upper bound on ρ.
 *
 * `maxRho` bounds t (`minLinfProgram`): only points that close are looked for, and
 * "infeasible" then means none within it (a descent step that cannot gain); a feasible LP is no
 * faster for it.
 */
export async function nearestInRegion(
  region: LinearRegion,
  { center, box, target, margin, lp }: AlpQuery,
  maxRho = Number.POSITIVE_INFINITY,
): Promise<{ status: LpResult["status"]; rho?: number; x?: Float64Array; rounds: number }> {
  const norm = minLinfProgram(center, box, maxRho);
  const form = regionFormulation(region, lp, 1);
  const base: LinearProgram = { ...norm, rows: concatRows(norm.rows, form.targetRows(target, margin)) };
  const { result, rounds } = await form.solve(base, lp);
  if (result.status !== "optimal" || !result.primal) return { status: result.status, rounds };
  const x = clipToBox(result.primal.subarray(0, center.length), box);
  return { status: result.status, rho: linf(x, center), x, rounds };
}
