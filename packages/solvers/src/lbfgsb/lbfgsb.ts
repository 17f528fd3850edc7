// Bound-constrained limited-memory BFGS (L-BFGS-B) after Byrd, Lu, Nocedal & Zhu, "A Limited
// Memory Algorithm for Bound Constrained Optimization" (SIAM J. Sci. Comput., 1995): the
// generalized Cauchy point along the projected gradient path of the compact quadratic model
// B = θI − W M Wᵀ, direct primal subspace minimisation over the variables left free there, and
// a line search satisfying the strong Wolfe conditions.
import { dot, matVec, solveDense } from "./dense.js";

export type Objective = (
  x: Float64Array,
) => { f: number; g: Float64Array } | Promise<{ f: number; g: Float64Array }>;

export interface LbfgsbOptions {
  /** Per-variable bounds (±Infinity for none); a single number applies to all. Default unbounded. */
  readonly lower?: ArrayLike<number> | number;
  readonly upper?: ArrayLike<number> | number;
  /** Correction pairs kept (default 10). */
  readonly memory?: number;
  readonly maxIterations?: number;
  readonly maxEvaluations?: number;
  /** Stop when the projected gradient's largest component is at most this (default 1e-5). */
  readonly pgtol?: number;
  /** Stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ factr · machine epsilon (default 1e7). */
  readonly factr?: number;
}

/**
 * converged: a stopping test held (see message); iteration_limit: iterations or evaluations ran
 * out; line_search_failure: no step satisfying the Wolfe conditions even along steepest
 * descent; abnormal: the objective returned a non-finite value or gradient.
 */
export type LbfgsbOutcome = "converged" | "iteration_limit" | "line_search_failure" | "abnormal";

export interface LbfgsbResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly g: Float64Array;
  readonly outcome: LbfgsbOutcome;
  readonly message: string;
  readonly iterations: number;
  readonly evaluations: number;
  /** ‖P(x − g) − x‖∞ at the returned x. */
  readonly projectedGradient: number;
}

const EPS = 2.220446049250313e-16;

const boundsOf = (b: ArrayLike<number> | number | undefined, n: number, dflt: number): Float64Array =>
  typeof b === "number" || b === undefined
    ? new Float64Array(n).fill(b ?? dflt)
    : Float64Array.from({ length: n }, (_, i) => b[i] as number);

/** The limited-memory pairs and the compact representation's middle matrix. */
class Memory {
  readonly s: Float64Array[] = [];
  readonly y: Float64Array[] = [];
  theta = 1;
  /** M = [[−D, Lᵀ], [L, θ SᵀS]]⁻¹, row-major 2k × 2k. */
  m = new Float64Array(0);
  constructor(private readonly size: number) {}

  get k(): number {
    return this.s.length;
  }

  push(s: Float64Array, y: Float64Array, sy: number): void {
    if (this.s.length === this.size) {
      this.s.shift();
      this.y.shift();
    }
    this.s.push(s);
    this.y.push(y);
    this.theta = dot(y, y) / sy;
    this.rebuild();
  }

  clear(): void {
    this.s.length = 0;
    this.y.length = 0;
    this.theta = 1;
    this.m = new Float64Array(0);
  }

  private rebuild(): void {
    const k = this.k;
    const n2 = 2 * k;
    const inv = new Float64Array(n2 * n2);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const si = this.s[i] as Float64Array;
        if (i === j) inv[i * n2 + j] = -dot(si, this.y[j] as Float64Array);
        if (i > j) {
          const l = dot(si, this.y[j] as Float64Array);
          inv[(k + i) * n2 + j] = l; // L
          inv[j * n2 + (k + i)] = l; // Lᵀ
        }
        inv[(k + i) * n2 + (k + j)] = this.theta * dot(si, this.s[j] as Float64Array);
      }
    }
    const m = new Float64Array(n2 * n2);
    for (let c = 0; c < n2; c++) {
      const e = new Float64Array(n2);
      e[c] = 1;
      const col = solveDense(inv, e, n2);
      if (!col) {
        // the pairs became dependent: start over rather than use a broken model
        this.clear();
        return;
      }
      for (let r = 0; r < n2; r++) m[r * n2 + c] = col[r] as number;
    }
    this.m = m;
  }

  /** Row i of W = [Y θS]. */
  w(i: number): Float64Array {
    const k = this.k;
    const row = new Float64Array(2 * k);
    for (let j = 0; j < k; j++) {
      row[j] = (this.y[j] as Float64Array)[i] as number;
      row[k + j] = this.theta * ((this.s[j] as Float64Array)[i] as number);
    }
    return row;
  }

  /** Wᵀ v. */
  wt(v: ArrayLike<number>, only?: readonly number[]): Float64Array {
    const k = this.k;
    const out = new Float64Array(2 * k);
    for (let j = 0; j < k; j++) {
      const y = this.y[j] as Float64Array;
      const s = this.s[j] as Float64Array;
      let a = 0;
      let b = 0;
      if (only) {
        for (const i of only) {
          a += (y[i] as number) * (v[i] as number);
          b += (s[i] as number) * (v[i] as number);
        }
      } else {
        a = dot(y, v);
        b = dot(s, v);
      }
      out[j] = a;
      out[k + j] = this.theta * b;
    }
    return out;
  }

  /** M v. */
  mv(v: Float64Array): Float64Array {
    return matVec(this.m, v, 2 * this.k);
  }
}

/** The generalized Cauchy point (BLNZ Algorithm CP) and the vector c = Wᵀ(xcp − x). */
function cauchyPoint(
  x: Float64Array,
  g: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  mem: Memory,
): { xcp: Float64Array; c: Float64Array } {
  const n = x.length;
  const theta = mem.theta;
  const t = new Float64Array(n);
  const d = new Float64Array(n);
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    const gi = g[i] as number;
    if (gi < 0) t[i] = ((x[i] as number) - (upper[i] as number)) / gi;
    else if (gi > 0) t[i] = ((x[i] as number) - (lower[i] as number)) / gi;
    else t[i] = Number.POSITIVE_INFINITY;
    d[i] = (t[i] as number) === 0 ? 0 : -gi;
    if ((t[i] as number) > 0 && Number.isFinite(t[i] as number)) order.push(i);
  }
  order.sort((a, b) => (t[a] as number) - (t[b] as number));
  const xcp = Float64Array.from(x);
  let p = mem.wt(d);
  let c = new Float64Array(2 * mem.k);
  let fp = -dot(d, d);
  let fpp = -theta * fp - dot(p, mem.mv(p));
  if (fp >= 0) return { xcp, c }; // projected gradient is zero: x is the Cauchy point
  let dtMin = -fp / Math.max(fpp, EPS);
  let tOld = 0;
  const fixed = new Uint8Array(n);
  let next = 0;
  while (next < order.length) {
    const b = order[next] as number;
    const tb = t[b] as number;
    const dt = tb - tOld;
    if (dtMin < dt) break;
    // move to breakpoint b and fix x_b at its bound
    next++;
    const gb = g[b] as number;
    xcp[b] = (d[b] as number) > 0 ? (upper[b] as number) : (lower[b] as number);
    const zb = (xcp[b] as number) - (x[b] as number);
    c = c.map((ci, j) => ci + dt * (p[j] as number));
    const wb = mem.w(b);
    const mc = mem.mv(c);
    const mp = mem.mv(p);
    const mwb = mem.mv(wb);
    fp += dt * fpp + gb * gb + theta * gb * zb - gb * dot(wb, mc);
    fpp -= theta * gb * gb + 2 * gb * dot(wb, mp) + gb * gb * dot(wb, mwb);
    p = p.map((pj, j) => pj + gb * (wb[j] as number));
    d[b] = 0;
    fixed[b] = 1;
    dtMin = -fp / Math.max(fpp, EPS);
    tOld = tb;
  }
  dtMin = Math.max(dtMin, 0);
  tOld += dtMin;
  for (let i = 0; i < n; i++) if (!fixed[i]) xcp[i] = (x[i] as number) + tOld * (d[i] as number);
  // clip rounding at the far end of the path
  for (let i = 0; i < n; i++)
    xcp[i] = Math.min(upper[i] as number, Math.max(lower[i] as number, xcp[i] as number));
  c = c.map((ci, j) => ci + dtMin * (p[j] as number));
  return { xcp, c };
}

/** Direct primal subspace minimisation (BLNZ §5.1) from the Cauchy point; returns x̄. */
function subspaceMin(
  x: Float64Array,
  g: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  mem: Memory,
  xcp: Float64Array,
  c: Float64Array,
): Float64Array {
  const n = x.length;
  const theta = mem.theta;
  const free: number[] = [];
  for (let i = 0; i < n; i++)
    if ((xcp[i] as number) > (lower[i] as number) && (xcp[i] as number) < (upper[i] as number)) free.push(i);
  if (free.length === 0) return xcp;
  const k = mem.k;
  const mc = mem.mv(c);
  // reduced gradient of the model at xcp over the free variables
  const r = new Float64Array(n);
  for (const i of free) {
    let wmc = 0;
    if (k > 0) wmc = dot(mem.w(i), mc);
    r[i] = (g[i] as number) + theta * ((xcp[i] as number) - (x[i] as number)) - wmc;
  }
  const du = new Float64Array(n);
  if (k === 0) {
    for (const i of free) du[i] = -(r[i] as number) / theta;
  } else {
    const n2 = 2 * k;
    const v = mem.mv(mem.wt(r, free));
    // N = I − (1/θ) M W_Zᵀ W_Z
    const wz = free.map((i) => mem.w(i));
    const wtw = new Float64Array(n2 * n2);
    for (const row of wz)
      for (let a = 0; a < n2; a++)
        for (let b = 0; b < n2; b++)
          wtw[a * n2 + b] = (wtw[a * n2 + b] as number) + (row[a] as number) * (row[b] as number);
    const nMat = new Float64Array(n2 * n2);
    for (let a = 0; a < n2; a++) {
      for (let b = 0; b < n2; b++) {
        let s = 0;
        for (let q = 0; q < n2; q++) s += (mem.m[a * n2 + q] as number) * (wtw[q * n2 + b] as number);
        nMat[a * n2 + b] = (a === b ? 1 : 0) - s / theta;
      }
    }
    const sol = solveDense(nMat, v, n2) ?? v;
    free.forEach((i, z) => {
      du[i] = -(r[i] as number) / theta - dot(wz[z] as Float64Array, sol) / (theta * theta);
    });
  }
  // the largest step ≤ 1 along du that stays in the box
  let alpha = 1;
  for (const i of free) {
    const di = du[i] as number;
    const xi = xcp[i] as number;
    if (di > 0) alpha = Math.min(alpha, ((upper[i] as number) - xi) / di);
    else if (di < 0) alpha = Math.min(alpha, ((lower[i] as number) - xi) / di);
  }
  const xbar = Float64Array.from(xcp);
  for (const i of free) xbar[i] = (xcp[i] as number) + alpha * (du[i] as number);
  return xbar;
}

function projectedGradient(
  x: Float64Array,
  g: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const p = Math.min(upper[i] as number, Math.max(lower[i] as number, (x[i] as number) - (g[i] as number)));
    m = Math.max(m, Math.abs(p - (x[i] as number)));
  }
  return m;
}

const finite = (f: number, g: Float64Array) => Number.isFinite(f) && g.every(Number.isFinite);

/** Minimises f over lower ≤ x ≤ upper from x0 (projected into the box). Never throws for the objective's numbers. */
export async function lbfgsb(
  fun: Objective,
  x0: ArrayLike<number>,
  opts: LbfgsbOptions = {},
): Promise<LbfgsbResult> {
  const n = x0.length;
  const lower = boundsOf(opts.lower, n, Number.NEGATIVE_INFINITY);
  const upper = boundsOf(opts.upper, n, Number.POSITIVE_INFINITY);
  for (let i = 0; i < n; i++)
    if (!((lower[i] as number) <= (upper[i] as number)))
      throw new RangeError(`bounds of variable ${i}: lower ${lower[i]} > upper ${upper[i]}`);
  const maxIterations = opts.maxIterations ?? 15000;
  const maxEvaluations = opts.maxEvaluations ?? 15000;
  const pgtol = opts.pgtol ?? 1e-5;
  const factr = opts.factr ?? 1e7;
  const mem = new Memory(opts.memory ?? 10);

  let evaluations = 0;
  const evaluate = async (x: Float64Array) => {
    evaluations++;
    const r = await fun(x);
    return { f: r.f, g: Float64Array.from(r.g) };
  };
  let x: Float64Array = Float64Array.from(x0, (v, i) =>
    Math.min(upper[i] as number, Math.max(lower[i] as number, v)),
  );
  const start = await evaluate(x);
  let f = start.f;
  let g: Float64Array = start.g;
  let iterations = 0;
  const done = (outcome: LbfgsbOutcome, message: string): LbfgsbResult => ({
    x,
    f,
    g,
    outcome,
    message,
    iterations,
    evaluations,
    projectedGradient: projectedGradient(x, g, lower, upper),
  });
  if (!finite(f, g)) return done("abnormal", "the objective is not finite at the starting point");

  for (;;) {
    if (projectedGradient(x, g, lower, upper) <= pgtol)
      return done("converged", "projected gradient ≤ pgtol");
    if (iterations >= maxIterations) return done("iteration_limit", `${maxIterations} iterations`);
    if (evaluations >= maxEvaluations) return done("iteration_limit", `${maxEvaluations} evaluations`);

    let step: Awaited<ReturnType<typeof lineSearch>> | undefined;
    for (;;) {
      const { xcp, c } = cauchyPoint(x, g, lower, upper, mem);
      let xbar = subspaceMin(x, g, lower, upper, mem, xcp, c);
      let d = xbar.map((v, i) => v - (x[i] as number));
      if (dot(d, g) >= 0) {
        // rounding spoilt the subspace step: the Cauchy point is a descent direction
        xbar = xcp;
        d = xcp.map((v, i) => v - (x[i] as number));
      }
      const slope = dot(d, g);
      if (slope < 0) {
        const first = mem.k === 0 ? Math.min(1, 1 / Math.sqrt(dot(d, d))) : 1;
        step = await lineSearch(
          evaluate,
          x,
          f,
          g,
          d,
          slope,
          first,
          maxEvaluations - evaluations,
          lower,
          upper,
        );
        if (step.ok || mem.k === 0) break;
      } else if (mem.k === 0) {
        return done("converged", "no descent direction from the projected gradient path");
      }
      mem.clear(); // retry along steepest descent, as the reference code does
      step = undefined;
    }
    if (!step?.ok) {
      if (step?.abnormal) return done("abnormal", "the objective is not finite along the search direction");
      if (evaluations >= maxEvaluations) return done("iteration_limit", `${maxEvaluations} evaluations`);
      return done("line_search_failure", "no step satisfying the strong Wolfe conditions");
    }
    iterations++;
    const s = step.x.map((v, i) => v - (x[i] as number));
    const y = step.g.map((v, i) => v - (g[i] as number));
    const fOld = f;
    x = step.x;
    f = step.f;
    g = step.g;
    const sy = dot(s, y);
    if (sy > EPS * dot(y, y)) mem.push(s, y, sy);
    if ((fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= factr * EPS)
      return done("converged", "relative reduction of f ≤ factr · epsilon");
  }
}

/**
 * A step α ∈ (0, 1] along d satisfying the strong Wolfe conditions (c1 = 1e-3, c2 = 0.9, as in
 * L-BFGS-B), by bracketing and safeguarded cubic interpolation (Nocedal & Wright, Alg. 3.5–3.6).
 * α = 1 reaches the box's edge of the step, so a step there with sufficient decrease is taken.
 */
async function lineSearch(
  evaluate: (x: Float64Array) => Promise<{ f: number; g: Float64Array }>,
  x: Float64Array,
  f0: number,
  g0: Float64Array,
  d: Float64Array,
  slope0: number,
  first: number,
  budget: number,
  lower: Float64Array,
  upper: Float64Array,
): Promise<{ ok: boolean; abnormal?: boolean; x: Float64Array; f: number; g: Float64Array }> {
  const c1 = 1e-3;
  const c2 = 0.9;
  const maxTrials = Math.min(20, budget);
  let trials = 0;
  interface Trial {
    a: number;
    x: Float64Array;
    f: number;
    g: Float64Array;
    slope: number;
  }
  const at = async (a: number): Promise<Trial> => {
    trials++;
    // x + a·d stays in the box in exact arithmetic; clamped, it does in floating point too (a
    // value of −2.8e-17 under a bound of 0 was seen)
    const xa = x.map((v, i) =>
      Math.min(upper[i] as number, Math.max(lower[i] as number, v + a * (d[i] as number))),
    );
    const { f, g } = await evaluate(xa);
    return { a, x: xa, f, g, slope: dot(g, d) };
  };
  const fail = { ok: false, x, f: f0, g: g0 };
  const accept = (t: Trial) => ({ ok: true, x: t.x, f: t.f, g: t.g });
  const sufficient = (t: Trial) => t.f <= f0 + c1 * t.a * slope0;
  const curvature = (t: Trial) => Math.abs(t.slope) <= -c2 * slope0;

  const zoom = async (lo: Trial, hi: Trial) => {
    while (trials < maxTrials) {
      const a = interpolate(lo, hi);
      if (!(Math.abs(hi.a - lo.a) > 1e-12 * Math.max(1, lo.a))) break;
      const t = await at(a);
      if (!finite(t.f, t.g)) return { ...fail, abnormal: true };
      if (!sufficient(t) || t.f >= lo.f) hi = t;
      else {
        if (curvature(t)) return accept(t);
        if (t.slope * (hi.a - lo.a) >= 0) hi = lo;
        lo = t;
      }
    }
    // the bracket collapsed: a point with sufficient decrease still makes progress
    return lo.a > 0 ? accept(lo) : fail;
  };

  let prev: Trial = { a: 0, x, f: f0, g: g0, slope: slope0 };
  let a = first;
  while (trials < maxTrials) {
    const t = await at(a);
    if (!finite(t.f, t.g)) {
      // back off towards x: the objective may be undefined far out
      if (a < 1e-10) return { ...fail, abnormal: true };
      a /= 10;
      continue;
    }
    if (!sufficient(t) || (prev.a > 0 && t.f >= prev.f)) return zoom(prev, t);
    if (curvature(t)) return accept(t);
    if (t.slope >= 0) return zoom(t, prev);
    if (a >= 1) return accept(t); // the end of the feasible step, still descending
    prev = t;
    a = Math.min(1, 4 * a);
  }
  return prev.a > 0 ? accept(prev) : fail;
}

/** Minimiser of the cubic through two trials (values and slopes), kept inside the middle 80 % of the bracket. */
function interpolate(
  lo: { a: number; f: number; slope: number },
  hi: { a: number; f: number; slope: number },
): number {
  const d1 = lo.slope + hi.slope - (3 * (lo.f - hi.f)) / (lo.a - hi.a);
  const disc = d1 * d1 - lo.slope * hi.slope;
  let a = (lo.a + hi.a) / 2;
  if (disc >= 0) {
    const d2 = Math.sign(hi.a - lo.a) * Math.sqrt(disc);
    const c = hi.a - (hi.a - lo.a) * ((hi.slope + d2 - d1) / (hi.slope - lo.slope + 2 * d2));
    if (Number.isFinite(c)) a = c;
  }
  const left = Math.min(lo.a, hi.a);
  const width = Math.abs(hi.a - lo.a);
  return Math.min(left + 0.9 * width, Math.max(left + 0.1 * width, a));
}
