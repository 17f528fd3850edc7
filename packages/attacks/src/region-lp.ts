// The LP machinery ALP and its region walk share: region rows handed out to iterative
// constraint solving, the target rows, and solving an LP over a linear region.
import { concatRows, emptyRows, type LinearProgram, minLinfProgram, type RowBatch } from "@rho/constraints";
import { formsToRows, type LinearRegion } from "@rho/encoders";
import {
  getSolver,
  type LpResult,
  type LpSolver,
  type RowOracle,
  solveIteratively,
  solverNames,
  withAllRows,
} from "@rho/solvers";
import type { AttackOptions } from "./attack.js";
import type { OptionSchema } from "./options.js";
import { clipToBox, linf } from "./verify.js";

/** Hands out the region inequalities a candidate point violates (paper §4's iterative solving). */
export class RegionOracle implements RowOracle {
  private readonly added: Uint8Array;
  handedOut = 0;
  constructor(
    private readonly region: LinearRegion,
    private readonly perRound: number,
    /** Rows already in the base LP. */
    seeded: readonly number[],
  ) {
    this.added = new Uint8Array(region.size);
    for (const k of seeded) this.added[k] = 1;
    this.handedOut = seeded.length;
  }
  violated(x: Float64Array, tol: number): RowBatch {
    const { values, scales } = this.region.evaluate(x.subarray(0, this.region.net.inputSize));
    const found: { k: number; v: number }[] = [];
    for (let k = 0; k < values.length; k++) {
      const s = Math.max(1, scales[k] as number);
      if (!this.added[k] && (values[k] as number) < -tol * s) found.push({ k, v: (values[k] as number) / s });
    }
    if (found.length > this.perRound) found.sort((a, b) => a.v - b.v).length = this.perRound;
    return this.take(found.map((f) => f.k).sort((a, b) => a - b));
  }
  rest(): RowBatch {
    const ids: number[] = [];
    for (let k = 0; k < this.added.length; k++) if (!this.added[k]) ids.push(k);
    return this.take(ids);
  }
  private take(ids: number[]): RowBatch {
    if (ids.length === 0) return emptyRows();
    for (const k of ids) this.added[k] = 1;
    this.handedOut += ids.length;
    return this.region.rows(ids);
  }
}

/**
 * C_out(ℓ) on the region: z_ℓ − z_j ≥ margin for every j ≠ ℓ, as rows over the pixel columns;
 * with `slack`, z_ℓ − z_j − m ≥ margin with m in that column (the walk maximises m).
 */
export function targetRows(region: LinearRegion, target: number, margin: number, slack?: number): RowBatch {
  const layer = region.net.layers.length;
  const others = Array.from({ length: region.net.outputSize }, (_, j) => j).filter((j) => j !== target);
  const forms = others.map((j) => {
    const f = region.combination(layer, [target, j], [1, -1]);
    if (slack === undefined) return f;
    return {
      indices: Int32Array.from([...f.indices, slack]),
      values: Float64Array.from([...f.values, -1]),
      constant: f.constant,
    };
  });
  return formsToRows(forms, (f) => [margin - f.constant, Number.POSITIVE_INFINITY]);
}

/** Options of the attacks that solve LPs over linear regions. */
export interface LpAttackOptions extends AttackOptions {
  /** LP solver name (default highs). */
  readonly solver?: string;
  /** Iterative constraint solving (default true). */
  readonly iterative?: boolean;
  /** Per-LP time limit in seconds. */
  readonly timeLimit?: number;
  /** Iterative solving adds at most this many violated rows per round, the most violated first. */
  readonly rowsPerRound?: number;
  /**
   * Region rows in the first LP of iterative solving: "tight" (default), those the region's centre
   * satisfies with equality — mostly tied max-pool windows, sparse, and the ones that cut the
   * region down — or "none" (the norm and target rows only). The optimum is the same; "tight"
   * reaches it in fewer, cheaper rounds (about 2× on the shipped LeNet).
   */
  readonly seed?: "tight" | "none";
}

/** The options of every attack that solves LPs over linear regions (declared once, spread into each). */
export const LP_OPTIONS: OptionSchema = {
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
    help: "iterative solving adds at most this many violated rows a round (default: all)",
  },
  seed: {
    type: "string",
    values: ["tight", "none"],
    default: "tight",
    help: "region rows in the first LP: those tight at the region's centre, or none",
  },
  margin: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 1e-3,
    help: "the target must beat every other logit by this much",
  },
  ties: { type: "string", values: ["first"], default: "first", help: "how tied disjunctions are resolved" },
};

/** A region LP that did not end optimal or infeasible, as a search failure (a time limit is a timeout). */
export const lpFailure = (what: string, r: { status: LpResult["status"]; message?: string }) => ({
  error: `${what} ended ${r.status}${r.message ? ` (${r.message})` : ""}`,
  ...(r.status === "time_limit" ? { timeout: true } : {}),
});

/** The solver and strategy an LP attack's options ask for, with the defaults filled in. */
export async function regionLpOptions(opts: LpAttackOptions): Promise<RegionLpOptions> {
  return {
    solver: await getSolver(opts.solver ?? "highs"),
    iterative: opts.iterative !== false,
    seed: opts.seed ?? "tight",
    rowsPerRound: opts.rowsPerRound ?? Number.POSITIVE_INFINITY,
    ...(opts.timeLimit !== undefined ? { timeLimit: opts.timeLimit } : {}),
  };
}

export interface RegionLpOptions {
  readonly solver: LpSolver;
  /** Iterative constraint solving (true) or every region row up front. */
  readonly iterative: boolean;
  readonly seed: "tight" | "none";
  readonly rowsPerRound: number;
  readonly timeLimit?: number;
}

/** The region rows the first LP of iterative solving starts with: those tight at the region's centre ("tight"), or none. */
export function seedRows(region: LinearRegion, o: RegionLpOptions): { ids: number[]; rows: RowBatch } {
  const ids: number[] = [];
  if (o.iterative && o.seed === "tight") {
    const { values, scales } = region.evaluateCenter();
    values.forEach((v, k) => {
      if (v <= 1e-9 * Math.max(1, scales[k] as number)) ids.push(k);
    });
  }
  return { ids, rows: region.rows(ids) };
}

/**
 * Optimises the base LP (pixel columns first) over the region too: by iterative constraint
 * solving from the seed rows, or with every region row at once.
 */
export async function solveOverRegion(
  region: LinearRegion,
  base: LinearProgram,
  o: RegionLpOptions,
  seeded: { ids: number[]; rows: RowBatch },
): Promise<{ result: LpResult; rounds: number; regionRowsUsed: number }> {
  const solveOpts = o.timeLimit !== undefined ? { timeLimit: o.timeLimit } : {};
  if (!o.iterative) {
    const all = region.rows(Array.from({ length: region.size }, (_, k) => k));
    return {
      result: await o.solver.solve(withAllRows(base, all), solveOpts),
      rounds: 1,
      regionRowsUsed: region.size,
    };
  }
  const oracle = new RegionOracle(region, o.rowsPerRound, seeded.ids);
  const it = await solveIteratively(
    o.solver,
    { ...base, rows: concatRows(base.rows, seeded.rows) },
    oracle,
    solveOpts,
  );
  return { result: it.result, rounds: it.rounds, regionRowsUsed: oracle.handedOut };
}

/**
 * The ALP LP over a region that need not contain x*: min ‖x − x*‖∞ over the box with `target`
 * beating every other label by `margin`, x inside the region. Its optimum is the exact distance
 * from x* to the nearest such point of that region: a valid upper bound on ρ.
 */
export async function nearestInRegion(
  region: LinearRegion,
  center: Float64Array,
  box: readonly [number, number],
  target: number,
  margin: number,
  lp: RegionLpOptions,
): Promise<{ status: LpResult["status"]; rho?: number; x?: Float64Array; rounds: number }> {
  const norm = minLinfProgram(center, box);
  const base: LinearProgram = { ...norm, rows: concatRows(norm.rows, targetRows(region, target, margin)) };
  const { result, rounds } = await solveOverRegion(region, base, lp, seedRows(region, lp));
  if (result.status !== "optimal" || !result.primal) return { status: result.status, rounds };
  const x = clipToBox(result.primal.subarray(0, center.length), box);
  return { status: result.status, rho: linf(x, center), x, rounds };
}
