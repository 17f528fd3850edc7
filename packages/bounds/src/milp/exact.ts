// Exact ρ by mixed-integer programming (MIPVerify's formulation): the network's constraints over
// the ball's box, big-M for the ReLUs and max-pool windows the bounds leave undecided (bounds from
// `crownBounds`: IBP tightened by CROWN; the encoder's own intersected), stable units fixed,
// minimise t over |x − x*| ≤ t with another label at least tied with the label. HiGHS with a time
// limit; its dual bound is the certified side even when it stops early.
import { or, toMilp } from "@rho/constraints";
import { encodeNetwork } from "@rho/encoders";
import { argmax, type Network } from "@rho/models";
import { getSolver } from "@rho/solvers";
import type { RhoBound } from "../bisect.js";
import { ballBox } from "../intervals/ibp.js";
import { crownBounds } from "../linear/method.js";
import type { BoundMethod, Certificate, Query } from "../method.js";

export interface MilpOptions {
  readonly epsMax?: number;
  /** Wall-clock limit of the MILP, seconds (default 60). */
  readonly timeLimit?: number;
  readonly box?: readonly [number, number];
}

interface MilpAnswer {
  readonly status: "optimal" | "infeasible" | "time_limit" | "error";
  /** Proven lower bound on min t (the objective's dual bound). */
  readonly bound?: number;
  readonly witness?: Float64Array;
  readonly objective?: number;
  readonly seconds: number;
  readonly binaries: number;
  readonly message?: string;
}

/** min ‖x − x*‖∞ over the ball of radius epsMax with another label reaching z_label + margin. */
async function solveMilp(
  net: Network,
  center: ArrayLike<number>,
  label: number,
  epsMax: number,
  margin: number,
  timeLimit: number,
  box: readonly [number, number],
): Promise<MilpAnswer> {
  const pixels = ballBox(center, epsMax, box);
  const { bounds } = crownBounds(net, pixels);
  const enc = encodeNetwork(net, {
    pixelBounds: { lower: pixels.lo, upper: pixels.hi },
    layerBounds: bounds,
    fixStable: true,
  });
  const sys = enc.sys;
  const t = sys.vars.add(0, epsMax, "t");
  enc.pixels.forEach((v, i) => {
    const c = center[i] as number;
    sys.add([v, t], [1, -1], -c, "le"); // x − t ≤ x*
    sys.add([v, t], [1, 1], -c, "ge"); // x + t ≥ x*
  });
  const z = enc.logits;
  const others = Array.from({ length: z.length }, (_, j) => j).filter((j) => j !== label);
  sys.require(
    or(...others.map((j) => sys.row([z[j] as number, z[label] as number], [1, -1], -margin, "ge"))),
  );
  const milp = toMilp(sys, { sense: "min", coefficients: { indices: [t], values: [1] } });
  const binaries = milp.lp.numCols - milp.numVars;
  const highs = await getSolver("highs");
  const r = await highs.solve(milp.lp, { timeLimit });
  const base = {
    seconds: r.seconds,
    binaries,
    ...(r.bound !== undefined ? { bound: Math.max(0, r.bound) } : {}),
  };
  if (r.status === "optimal" && r.primal) {
    const witness = Float64Array.from(enc.pixels, (v) => r.primal?.[v] as number);
    return { status: "optimal", ...base, witness, objective: r.objective as number };
  }
  if (r.status === "infeasible") return { status: "infeasible", ...base };
  if (r.status === "time_limit") return { status: "time_limit", ...base };
  return { status: "error", ...base, message: r.message ?? r.status };
}

const linf = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

/**
 * Exact ρ of the network as rho's IR computes it in real arithmetic. exact: the MILP was solved,
 * its dual bound (lower) and a witness verified by the float64 forward pass (upper) agree within
 * EXACT_TOLERANCE; bracket: the time limit came first, or they do not agree (lower = the dual
 * bound, upper = the witness, if any); certified_beyond: no other label within epsMax.
 */
export async function exactRho(
  net: Network,
  center: ArrayLike<number>,
  label: number,
  opts: MilpOptions = {},
): Promise<RhoBound & { readonly binaries: number }> {
  const t0 = performance.now();
  const epsMax = opts.epsMax ?? 255;
  const timeLimit = opts.timeLimit ?? 60;
  const box = opts.box ?? [0, 255];
  const a = await solveMilp(net, center, label, epsMax, 0, timeLimit, box);
  const done = (status: RhoBound["status"], lower: number, witness?: Float64Array, calls = 1) => ({
    method: "milp",
    lower,
    upper: witness ? linf(witness, center) : null,
    status,
    ...(witness ? { witness } : {}),
    seconds: (performance.now() - t0) / 1000,
    calls,
    binaries: a.binaries,
  });
  if (a.status === "infeasible") return done("certified_beyond", epsMax);
  if (a.status === "error") throw new Error(`milp: ${a.message}`);
  const lower = a.bound ?? 0;
  if (a.status === "time_limit") return done("bracket", lower);
  const adversarial = (x: Float64Array) => argmax(net.forward64(x).logits) !== label;
  // At margin 0 the optimum sits on the decision boundary, where rounding picks either label:
  // a witness just beyond it along the ray from x* (≤ 0.1 % farther) is tried first, then a
  // second MILP with the other label ahead by 1e-4.
  let witness: Float64Array | undefined;
  let calls = 1;
  if (a.witness) {
    const from = a.witness;
    for (const d of [0, 1e-9, 1e-7, 1e-5, 1e-4, 1e-3]) {
      const x = Float64Array.from(from, (v, i) => {
        const c = center[i] as number;
        return Math.min(box[1], Math.max(box[0], c + (v - c) * (1 + d)));
      });
      if (adversarial(x)) {
        witness = x;
        break;
      }
    }
  }
  if (!witness) {
    calls = 2;
    const left = Math.max(1, timeLimit - (performance.now() - t0) / 1000);
    const b = await solveMilp(net, center, label, epsMax, 1e-4, left, box);
    if (b.witness && adversarial(b.witness)) witness = b.witness;
  }
  // exact: the proven bound and the verified witness agree to 0.1 % (+ 0.001 pixels); otherwise
  // (e.g. labels tied everywhere, which a margin-0 MILP counts as reachable) a bracket
  const upper = witness ? linf(witness, center) : Number.POSITIVE_INFINITY;
  const agree = upper <= lower * (1 + EXACT_TOLERANCE) + EXACT_TOLERANCE;
  return done(agree ? "exact" : "bracket", lower, witness, calls);
}

/** Relative (and absolute, pixels) agreement of the bound and the witness for status exact. */
export const EXACT_TOLERANCE = 1e-3;

/** The MILP as a certifying method: infeasible within ε certifies; a verified witness falsifies. */
export const milp: BoundMethod = {
  name: "milp",
  description: "exact ρ by MILP (MIPVerify-style big-M over CROWN bounds, stable units fixed; HiGHS)",
  async certify(q: Query): Promise<Certificate> {
    const r = await solveMilp(q.net, q.center, q.label, q.eps, 0, 60, q.box);
    if (r.status === "infeasible") return { status: "certified", diagnostics: { binaries: r.binaries } };
    if (r.witness && argmax(q.net.forward64(r.witness).logits) !== q.label)
      return { status: "falsified", witness: r.witness, diagnostics: { binaries: r.binaries } };
    return { status: "unknown", diagnostics: { binaries: r.binaries, milpStatus: r.status } };
  },
  rho: (net, center, label, opts) => exactRho(net, center, label, opts),
};
