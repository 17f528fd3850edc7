import { type LinearProgram, validateProgram } from "@rho/constraints";
import GLPK from "glpk.js/node";
import { checkMethod } from "./errors.js";
import { RebuildSession } from "./session.js";
import type { LpResult, LpSession, LpSolver, LpStatus, SolveOptions } from "./types.js";
import { timed } from "./verify.js";

type Glpk = Awaited<ReturnType<typeof GLPK>>;
type GlpkLp = Parameters<Glpk["solve"]>[0];

// glpk.js marks an infinite bound with ±DBL_MAX.
const big = (v: number) =>
  v === Number.POSITIVE_INFINITY ? Number.MAX_VALUE : v === Number.NEGATIVE_INFINITY ? -Number.MAX_VALUE : v;

function boundType(g: Glpk, lo: number, hi: number): number {
  const hasLo = lo !== Number.NEGATIVE_INFINITY;
  const hasHi = hi !== Number.POSITIVE_INFINITY;
  if (hasLo && hasHi) return lo === hi ? g.GLP_FX : g.GLP_DB;
  if (hasLo) return g.GLP_LO;
  return hasHi ? g.GLP_UP : g.GLP_FR;
}

/** Our program in glpk.js's object form; columns are `c<j>`, rows `r<i>` (mapped back by index). */
function toGlpk(g: Glpk, lp: LinearProgram): GlpkLp {
  const r = lp.rows;
  const ints: string[] = [];
  lp.integer?.forEach((v, j) => {
    if (v) ints.push(`c${j}`);
  });
  return {
    name: "rho",
    objective: {
      direction: lp.sense === "min" ? g.GLP_MIN : g.GLP_MAX,
      name: "obj",
      vars: Array.from(lp.objective, (coef, j) => ({ name: `c${j}`, coef })),
    },
    subjectTo: Array.from({ length: r.count }, (_, i) => {
      const vars = [];
      for (let k = r.starts[i] as number; k < (r.starts[i + 1] as number); k++) {
        vars.push({ name: `c${r.indices[k]}`, coef: r.values[k] as number });
      }
      const lo = r.lower[i] as number;
      const hi = r.upper[i] as number;
      return { name: `r${i}`, vars, bnds: { type: boundType(g, lo, hi), lb: big(lo), ub: big(hi) } };
    }),
    bounds: Array.from(lp.colLower, (lo, j) => {
      const hi = lp.colUpper[j] as number;
      return { name: `c${j}`, type: boundType(g, lo, hi), lb: big(lo), ub: big(hi) };
    }),
    ...(ints.length ? { generals: ints } : {}),
  };
}

class GlpkSolver implements LpSolver {
  readonly name = "glpk";
  readonly capabilities = { warmStart: false, mip: true, timeLimit: true, interiorPoint: false };
  constructor(private readonly g: Glpk) {}

  async solve(lp: LinearProgram, opts: SolveOptions = {}): Promise<LpResult> {
    validateProgram(lp);
    checkMethod(this.name, this.capabilities.interiorPoint, opts.method);
    const g = this.g;
    const mip = lp.integer?.some((v) => v !== 0) ?? false;
    return timed("glpk", lp, opts, () => {
      if (lp.numCols === 0) return { status: "optimal", primal: new Float64Array(0) };
      const run = (problem: GlpkLp, presol: boolean) =>
        g.solve(problem, {
          msglev: g.GLP_MSG_OFF,
          // The LP simplex classifies infeasible/unbounded only without presolve; intopt needs it.
          presol,
          ...(opts.timeLimit !== undefined ? { tmlim: opts.timeLimit } : {}),
        }).result;
      const problem = toGlpk(g, lp);
      const t0 = performance.now();
      const res = run(problem, mip);
      const hitLimit =
        opts.timeLimit !== undefined && (performance.now() - t0) / 1000 >= 0.95 * opts.timeLimit;
      let status = this.status(res.status, hitLimit);
      if (mip && res.status === g.GLP_UNDEF && !hitLimit) {
        // intopt gives no verdict when the relaxation has none; classify through the relaxation.
        const relaxed = run({ ...problem, generals: [] }, false);
        status =
          relaxed.status === g.GLP_NOFEAS
            ? "infeasible"
            : relaxed.status === g.GLP_UNBND
              ? "infeasible_or_unbounded"
              : "error";
      }
      if (status === "time_limit")
        return { status, message: `GLPK stopped at the time limit of ${opts.timeLimit} s` };
      if (status !== "optimal") return { status, message: `GLPK status ${res.status}` };
      return { status, primal: Float64Array.from({ length: lp.numCols }, (_, j) => res.vars[`c${j}`] ?? 0) };
    });
  }

  private status(code: number, hitLimit: boolean): LpStatus {
    const g = this.g;
    if (code === g.GLP_OPT) return "optimal";
    if (code === g.GLP_NOFEAS) return "infeasible";
    if (code === g.GLP_UNBND) return "unbounded";
    // glpk.js does not pass on glp_simplex's return code; a verdict-less stop after the time
    // limit has elapsed is the limit.
    return hitLimit ? "time_limit" : "error";
  }

  session(lp: LinearProgram, opts: SolveOptions = {}): LpSession {
    validateProgram(lp);
    return new RebuildSession(this, lp, opts);
  }
}

export async function createGlpkSolver(): Promise<LpSolver> {
  return new GlpkSolver(await GLPK());
}
