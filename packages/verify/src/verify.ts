// One VNN-LIB property on one network: sat (a counterexample checked by float64 and float32
// forward passes), unsat (CROWN's bounds, sound for the float32 network, rule out every case,
// alone or in the domains of a branch and bound whose leaves the MILP settles), or
// unknown / timeout. The input X is the network's own input: load the model with an identity
// preprocessing (rho verify does) so that pixels are the property's X_i.
import { type AttackContext, alpWalk } from "@rho/attacks";
import {
  alphaBounds,
  alphaLowerBound,
  crownBounds,
  float32ErrorBound,
  type Interval,
  lowerBounds,
  optimisable,
  propertyMilp,
} from "@rho/bounds";
import { type Network, prng, type Shape, size } from "@rho/models";
import { getSolver, type LpSolver } from "@rho/solvers";
import { BAB_ALPHA_ITERATIONS, branchAndBound, type LeafAnswer } from "./bab.js";
import { ballOf } from "./ball.js";
import { confirmed, falsify, polish } from "./falsify.js";
import { clampToBox, intervalBound } from "./semantics.js";
import type { OutputRow, SpecCase, VnnSpec } from "./vnnlib.js";

export type VerifyStatus = "sat" | "unsat" | "unknown" | "timeout";
export type Stage = "sample" | "pgd" | "walk" | "crown" | "alpha" | "bab" | "milp";

export interface VerifyResult {
  readonly status: VerifyStatus;
  /**
   * What decided: sampling, pgd, walk (alp-walk from the centre of a ball-shaped box), bab or milp (sat), crown, alpha, bab or milp (unsat; alpha:
   * α-CROWN's slopes optimised per row, over bounds it may have tightened; milp: the MILP on the
   * whole box, no branching); absent for unknown and timeout.
   */
  readonly stage?: Stage;
  /** sat: the counterexample and the float64 outputs it gives. */
  readonly x?: Float64Array;
  readonly y?: Float64Array;
  readonly seconds: number;
  /** Conjunctions of output conditions (over all cases) the bounds ruled out, of all. */
  readonly refuted: number;
  readonly conjunctions: number;
  /** Domains branch and bound bounded (0: it did not run). */
  readonly domains: number;
  /**
   * Where branch and bound ran: the share of its search settled, averaged over the conjunctions it
   * was given (1: all proved; a conjunction the time did not reach counts 0) — how near a timeout came.
   */
  readonly settled?: number;
}

export class VerifyInputError extends Error {
  override name = "VerifyInputError";
}

export interface VerifyOptions {
  /** Seconds for the whole property (default 60). */
  readonly timeout?: number;
  readonly seed?: number;
  /**
   * Networks of up to this many ReLUs get the MILP on the whole box, no branching (default 0:
   * branch and bound everywhere, its small domains settled by the MILP).
   */
  readonly milpUnits?: number;
  /** Branch and bound hands domains with at most this many unstable ReLUs to the MILP (default 24). */
  readonly leafUnits?: number;
  /** The LP attack (alp-walk) on boxes that are clipped L∞ balls, after PGD (default true). */
  readonly walk?: boolean;
  /** α-CROWN anywhere (default true; false: CROWN's adaptive slopes, and one step of tight slopes in branch and bound). */
  readonly alpha?: boolean;
  /**
   * The share of the time left after the falsifiers that α-CROWN may spend tightening every ReLU's
   * input bounds before branch and bound (default ALPHA_SHARE, 0.15; 0: CROWN's bounds as they are;
   * measured in benchmarks/verify/README.md).
   */
  readonly alphaShare?: number;
  /**
   * Branch and bound: α,β-CROWN's gradient steps per open row and domain, from its parent's slopes
   * and multipliers (default BAB_ALPHA_ITERATIONS, 10; 0: the slopes tight at the worst pixels alone).
   */
  readonly alphaIterations?: number;
  /**
   * Branch and bound: domains down to this depth get CROWN's bounds above their newest split
   * (default REFINE_DEPTH, 7; 0: IBP alone carries a split up; benchmarks/verify/README.md).
   */
  readonly refineDepth?: number;
  /** Branch and bound: an attack inside each domain its bounds leave open (default true). */
  readonly probe?: boolean;
  /**
   * The falsifier (APGD on the open conditions' margin, per input box): runs, the first from the
   * centre (the image's, where the box is a clipped ball) and the rest from random points, plus
   * one per open conjunction from the centre; and steps per run (defaults 5 and 100; 0: none).
   */
  readonly restarts?: number;
  readonly steps?: number;
  /** The float32 check's context (default: the network's TensorFlow.js model, made once per network). */
  readonly ctx?: AttackContext;
}

/** Domains with at most this many unstable ReLUs go to the MILP rather than being split further. */
const LEAF_UNITS = 24;

/**
 * The MILP as a leaf of branch and bound over one conjunction of case `c`: empty when infeasible
 * with every row widened by a bound on the float32 network's error (propagated through the
 * network) plus 1e-6 of the logits' scale for the solver's tolerances, so that it holds for the
 * float32 network too; a solution is a candidate only, tried as it is, then with the rows
 * narrowed by the same slack, then as APGD's start. Each leaf gets the time left, up to LEAF_SECONDS.
 */
function leafMilp(
  net: Network,
  ctx: AttackContext,
  highs: LpSolver,
  c: SpecCase,
  rows: readonly OutputRow[],
  root: readonly Interval[],
  deadline: number,
): (bounds: readonly Interval[]) => Promise<LeafAnswer> {
  const box = { lo: c.lo, hi: c.hi };
  // over the whole box: sound in every domain of it
  const err = float32ErrorBound(net, root as Interval[], box);
  const logits = root[net.layers.length] as Interval;
  const slack = (r: OutputRow) => {
    let s = 0;
    let scale = 1;
    for (let j = 0; j < r.coef.length; j++) {
      const a = Math.abs(r.coef[j] as number);
      s += a * (err[j] as number);
      scale += a * Math.max(Math.abs(logits.lo[j] as number), Math.abs(logits.hi[j] as number));
    }
    return s + 1e-6 * scale;
  };
  const solve = async (bounds: readonly Interval[], sign: 1 | -1) => {
    const seconds = Math.min(LEAF_SECONDS, (deadline - performance.now()) / 1000);
    if (seconds <= 0.01) return { status: "time_limit" as const, x: undefined };
    const moved = rows.map((r) => ({ coef: r.coef, bound: r.bound + sign * slack(r) }));
    const m = propertyMilp(net, box, bounds as Interval[], moved);
    const r = await highs.solve(m.lp, { timeLimit: seconds });
    // (clipped to the box: the solver's tolerances may leave a pixel 1e-9 outside it)
    const x =
      r.status === "optimal" && r.primal
        ? clampToBox(
            c,
            m.pixels.map((col) => r.primal?.[col] as number),
          )
        : undefined;
    return { status: r.status, x };
  };
  return async (bounds) => {
    const widened = await solve(bounds, 1);
    if (widened.status === "infeasible") return { status: "empty" };
    if (!widened.x) return { status: "open", retry: widened.status === "time_limit" };
    const y = await confirmed(net, ctx, c, rows, widened.x);
    if (y) return { status: "sat", x: widened.x, y };
    const narrowed = await solve(bounds, -1);
    const y2 = narrowed.x && (await confirmed(net, ctx, c, rows, narrowed.x));
    if (narrowed.x && y2) return { status: "sat", x: narrowed.x, y: y2 };
    // a candidate within the float32 margin of the rows: a few APGD steps from it may cross them
    const polished = await polish(net, ctx, c, rows, narrowed.x ?? widened.x, POLISH_STEPS, deadline);
    if (polished.status === "sat") return polished;
    return { status: "open", retry: narrowed.status === "time_limit" };
  };
}

/** The share of the time left that tightening intermediate bounds may take (benchmarks/verify/README.md). */
const ALPHA_SHARE = 0.15;

/** Seconds one LP of the alp-walk falsifier may take (its share of the property's time may be less). */
const WALK_LP_SECONDS = 20;

/** α-CROWN's gradient steps per row on the whole box (benchmarks/verify/README.md). */
const ROOT_ALPHA_ITERATIONS = 50;

/** APGD steps from a leaf's MILP candidate that the float32 check refused. */
const POLISH_STEPS = 20;

/** Seconds one leaf's MILP may take (its share of the property's time may be more). */
const LEAF_SECONDS = 20;

/** A conjunction of one case's output rows that the bounds have not ruled out, with the case's bounds. */
interface OpenConjunction {
  readonly c: SpecCase;
  readonly rows: readonly OutputRow[];
  readonly bounds: Interval[];
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
  const useAlpha = opts.alpha ?? true;
  const useWalk = opts.walk ?? true;
  const late = () => performance.now() >= deadline;
  // the float32 passes and gradients use one TensorFlow.js model per network, made once
  const ctx: AttackContext = opts.ctx ?? { net };
  const rand = prng(opts.seed ?? 1);
  const seconds = () => (performance.now() - t0) / 1000;
  const conjunctions = spec.cases.reduce((n, c) => n + c.outputs.length, 0);
  let domains = 0;
  const done = (status: VerifyStatus, refuted: number, extra: Partial<VerifyResult> = {}): VerifyResult => ({
    status,
    seconds: seconds(),
    refuted,
    conjunctions,
    domains,
    ...extra,
  });
  const sat = (stage: Exclude<Stage, "crown" | "alpha">, x: Float64Array, y: Float64Array, refuted: number) =>
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
  const open: OpenConjunction[] = [];
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
      // IBP's bound of coef·y from the logits' interval, and CROWN's: the better one
      const out = rows.some((r, i) => Math.max(intervalBound(r, logits), lb[i] as number) > r.bound);
      if (out) refuted++;
      else open.push({ c, rows, bounds });
    }
  }
  if (open.length === 0) return done("unsat", refuted, { stage: "crown" });

  // 3. APGD on each case's open conjunctions: their margin, against all at once and one by one
  const restarts = opts.restarts ?? 5;
  if (restarts > 0)
    for (const c of new Set(open.map((o) => o.c))) {
      const conjunctions = open.filter((o) => o.c === c && o.rows.length).map((o) => o.rows);
      const r = await falsify(net, ctx, c, conjunctions, {
        restarts: restarts - 1,
        steps: opts.steps ?? 100,
        deadline,
        rand,
      });
      if (r.status === "late") return done("timeout", refuted);
      if (r.status === "sat") return sat("pgd", r.x, r.y, refuted);
    }
  // 3b. where a case's box is a clipped L∞ ball (a robustness property), the LP attack walked
  // across linear regions toward every other label (alp-walk) from the ball's centre: it finds
  // counterexamples that gradient steps miss; each is confirmed like any other
  for (const c of new Set(open.map((o) => o.c))) {
    const ball = useWalk ? ballOf(c) : undefined;
    if (!ball || late()) continue;
    const label = net.predict64(ball.center);
    const r = await alpWalk.run(
      ctx,
      { pixels: ball.center, label },
      {
        box: ball.range,
        target: "all",
        maxEps: ball.eps,
        descent: false,
        bisections: 0,
        timeLimit: Math.max(0.1, Math.min(WALK_LP_SECONDS, (deadline - performance.now()) / 1000)),
      },
    );
    if (r.status !== "adversarial" || !r.adversarial || r.rho > ball.eps) continue;
    for (const o of open) {
      if (o.c !== c) continue;
      const y = await confirmed(net, ctx, c, o.rows, r.adversarial);
      if (y) return sat("walk", r.adversarial, y, refuted);
    }
  }
  // 4. α-CROWN: the open conjunctions' rows with slopes optimised per row, over CROWN's bounds or,
  // given a share of the time left, over every ReLU's input bounds tightened by α-CROWN first;
  // branch and bound starts from those bounds
  let stillOpen: (OpenConjunction & { gap?: number })[] = open;
  if (useAlpha && optimisable(net)) {
    const share = opts.alphaShare ?? ALPHA_SHARE;
    const tightened = new Map<SpecCase, Interval[]>();
    const until = performance.now() + share * (deadline - performance.now());
    for (const { c, bounds } of open)
      if (!tightened.has(c))
        tightened.set(
          c,
          share > 0 ? alphaBounds(net, { lo: c.lo, hi: c.hi }, bounds, { deadline: until }).bounds : bounds,
        );
    stillOpen = [];
    for (const o of open) {
      if (late()) return done("timeout", refuted);
      // (the logits' interval changes only where the network ends in a ReLU tightening reached)
      const bounds = tightened.get(o.c) as Interval[];
      const logits = bounds[L] as Interval;
      const pixels = { lo: o.c.lo, hi: o.c.hi };
      // each row's best bound less its right-hand side; one above 0 rules the conjunction out
      let gap = Number.NEGATIVE_INFINITY;
      for (const r of o.rows) {
        gap = Math.max(gap, intervalBound(r, logits) - r.bound);
        if (gap > 0) break;
        const a = alphaLowerBound(net, bounds, L, Float64Array.from(r.coef), pixels, {
          iterations: ROOT_ALPHA_ITERATIONS,
          target: r.bound,
        });
        gap = Math.max(gap, a.value - r.bound);
        if (gap > 0) break;
      }
      if (gap > 0) refuted++;
      else stillOpen.push({ ...o, bounds, gap });
    }
    if (stillOpen.length === 0) return done("unsat", refuted, { stage: "alpha" });
    // nearest to ruled out first (a property is unsat only if every one is closed)
    stillOpen.sort((a, b) => (b.gap ?? 0) - (a.gap ?? 0));
  }
  // 5. branch and bound per open conjunction, each with all the time left, its leaves (and
  // the root itself on networks of up to `milpUnits` ReLUs) settled by the MILP
  const units = net.layers.reduce(
    (n, layer, l) => n + (layer.kind === "relu" ? size(net.shapes[l + 1] as Shape) : 0),
    0,
  );
  const leafUnits = units <= (opts.milpUnits ?? 0) ? units : (opts.leafUnits ?? LEAF_UNITS);
  const highs = await getSolver("highs");
  let closed = 0;
  let branched = false; // else every conjunction was settled by the MILP on its whole box
  let settled = 0;
  let cut = false; // a conjunction left unsearched for want of time: a timeout, not unknown
  const searched = () => ({ settled: settled / stillOpen.length });
  for (const { c, rows, bounds } of stillOpen) {
    // each search may take all the time left: unsat needs every one closed, so one that needs more
    // than an even share still ends in time when those before it end early
    if (deadline - performance.now() <= 50) {
      cut = true;
      break;
    }
    const leaf = leafMilp(net, ctx, highs, c, rows, bounds, deadline);
    const probe = async (x: Float64Array, search: boolean) => {
      const y = await confirmed(net, ctx, c, rows, x);
      if (y) return { x, y };
      if (!search) return undefined;
      const r = await polish(net, ctx, c, rows, x, POLISH_STEPS, deadline);
      return r.status === "sat" ? r : undefined;
    };
    const r = await branchAndBound(net, { lo: c.lo, hi: c.hi }, bounds, rows, {
      deadline,
      leafUnits,
      leaf,
      alphaIterations: useAlpha ? (opts.alphaIterations ?? BAB_ALPHA_ITERATIONS) : 0,
      ...(opts.refineDepth === undefined ? {} : { refineDepth: opts.refineDepth }),
      ...(opts.probe === false ? {} : { probe }),
    });
    branched ||= r.domains > 1;
    domains += r.domains;
    settled += r.settled;
    if (r.status === "sat") return sat(branched ? "bab" : "milp", r.x, r.y, refuted);
    if (r.status === "unsat") {
      refuted++;
      closed++;
    }
  }
  if (closed === stillOpen.length)
    return done("unsat", refuted, { stage: branched ? "bab" : "milp", ...searched() });
  return done(late() || cut ? "timeout" : "unknown", refuted, searched());
}

/** The counterexample as VNN-COMP writes it: every X_i, then every Y_j. */
export function counterexampleText(x: ArrayLike<number>, y: ArrayLike<number>): string {
  const lines = [...Array.from(x, (v, i) => `(X_${i} ${v})`), ...Array.from(y, (v, j) => `(Y_${j} ${v})`)];
  return `(${lines.join("\n ")})\n`;
}
