import { bootstrapMean, type Estimate, wilson } from "./intervals.js";

/** What the metrics need of one attack's result on one point. */
export interface PointOutcome {
  readonly label: number;
  readonly predicted: number;
  /** ρ̂ in pixels; null or Infinity when the attack found no example. */
  readonly rho: number | null;
  /** "error" and "timeout" points have no answer: counted apart, in no statistic. */
  readonly status?: string;
}

/** minimum-distance attacks estimate ρ (severity, curves); fixed-epsilon ones only answer at ε. */
export type Family = "minimum-distance" | "fixed-epsilon";

export interface RobustnessStats {
  readonly eps: number;
  readonly points: number;
  /** Points the model classifies correctly: the population φ̂ and μ̂ are computed over. */
  readonly correct: number;
  /** Points the model gets wrong: not attacked, reported beside the statistics. */
  readonly misclassified: number;
  /** Points whose attack failed (error, timeout): in neither population, reported beside. */
  readonly failed: number;
  /** correct / points, with a Wilson interval. */
  readonly accuracy: Estimate;
  /** Correct points with ρ̂ ≤ ε. */
  readonly adversarial: number;
  /** φ̂(f, ε): adversarial / correct, with a Wilson interval. */
  readonly frequency: Estimate;
  /**
   * μ̂(f, ε): the mean ρ̂ of those points, with a percentile-bootstrap interval (NaN when none, and
   * always for a fixed-epsilon attack, whose distances are no estimate of ρ).
   */
  readonly severity: Estimate;
}

const found = (o: PointOutcome): number => (o.rho === null ? Number.POSITIVE_INFINITY : o.rho);
export const failedOutcome = (o: PointOutcome): boolean => o.status === "error" || o.status === "timeout";
const NO_ESTIMATE = { value: Number.NaN, lower: Number.NaN, upper: Number.NaN };

/**
 * The paper's statistics (§2) from per-point ρ̂: adversarial frequency φ̂(f, ε) = share of points
 * with ρ̂ ≤ ε and severity μ̂(f, ε) = mean ρ̂ among them. Convention: both are over the points the
 * model classifies correctly (ρ is defined relative to f(x*) = the true label); misclassified
 * points are counted and reported separately, never as adversarial.
 */
export function robustnessStats(
  outcomes: readonly PointOutcome[],
  eps: number,
  opts: { confidence?: number; resamples?: number; seed?: number; family?: Family } = {},
): RobustnessStats {
  const answered = outcomes.filter((o) => !failedOutcome(o));
  const correct = answered.filter((o) => o.predicted === o.label);
  const within = correct.map(found).filter((r) => r <= eps);
  return {
    eps,
    points: outcomes.length,
    correct: correct.length,
    misclassified: answered.length - correct.length,
    failed: outcomes.length - answered.length,
    accuracy: wilson(correct.length, answered.length, opts.confidence),
    adversarial: within.length,
    frequency: wilson(within.length, correct.length, opts.confidence),
    severity: opts.family === "fixed-epsilon" ? NO_ESTIMATE : bootstrapMean(within, opts),
  };
}

/** The paper's Figure 3: for each ε, the number of correctly classified points with ρ̂ ≤ ε. */
export function cumulativeCurve(
  outcomes: readonly PointOutcome[],
  epsilons: readonly number[],
): { eps: number; count: number }[] {
  const rhos = outcomes
    .filter((o) => o.predicted === o.label && !failedOutcome(o))
    .map(found)
    .sort((a, b) => a - b);
  return epsilons.map((eps) => {
    let count = 0;
    while (count < rhos.length && (rhos[count] as number) <= eps) count++;
    return { eps, count };
  });
}

/** One point's bracket ρ_lb ≤ ρ ≤ ρ̂: the best certified lower bound and smallest verified distance. */
export interface PointBracket {
  readonly label: number;
  readonly predicted: number;
  /** Largest certified radius over the bound methods (0 when none certified anything). */
  readonly lower: number;
  /** Smallest verified adversarial distance over attacks and bound witnesses; null when none. */
  readonly upper: number | null;
}

export interface BracketShares {
  readonly eps: number;
  /** Correctly classified points: the population of the shares. */
  readonly correct: number;
  /** ρ_lb > ε and no verified example within ε: certified robust at ε. */
  readonly certified: Estimate;
  /** A verified example within ε: proven not robust at ε. */
  readonly nonRobust: Estimate;
  /** Neither: what no method settled. */
  readonly unknown: Estimate;
  /**
   * Points with a verified example within ε inside a radius a bound method certified: a bound is
   * unsound there (counted as non-robust: the example is checked by forward passes, the bound is not).
   */
  readonly conflicting: number;
}

/**
 * At ε, the shares of correctly classified points certified robust, proven non-robust, and
 * unknown: three disjoint sets, so the shares are never negative and add up to one.
 */
export function bracketShares(
  points: readonly PointBracket[],
  eps: number,
  opts: { confidence?: number } = {},
): BracketShares {
  const correct = points.filter((p) => p.predicted === p.label);
  let certified = 0;
  let nonRobust = 0;
  let conflicting = 0;
  for (const p of correct) {
    const provenAt = p.lower > eps; // NaN: nothing proven
    if (p.upper !== null && p.upper <= eps) {
      nonRobust++;
      if (provenAt) conflicting++;
    } else if (provenAt) certified++;
  }
  const n = correct.length;
  return {
    eps,
    correct: n,
    certified: wilson(certified, n, opts.confidence),
    nonRobust: wilson(nonRobust, n, opts.confidence),
    unknown: wilson(n - certified - nonRobust, n, opts.confidence),
    conflicting,
  };
}
