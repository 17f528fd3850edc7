import { linf } from "@rho/constraints";
import type { Network } from "@rho/models/core";
import type { BoundMethod } from "./method.js";

export interface RhoBound {
  readonly method: string;
  /** ρ_lb: the largest ε certified (0 when none was), pixels. */
  readonly lower: number;
  /** A verified witness's distance (an upper bound on ρ), or null without one. */
  readonly upper: number | null;
  /**
   * certified_beyond: certified at epsMax (ρ > epsMax); bracket: lower (and maybe upper) found;
   * exact: ρ itself (the MILP solved: lower is its proven bound, upper a verified witness).
   */
  readonly status: "certified_beyond" | "bracket" | "exact";
  readonly witness?: Float64Array;
  readonly seconds: number;
  /** Certify calls made. */
  readonly calls: number;
}

export interface BisectOptions {
  /** Largest ε tried, pixels (default 255). */
  readonly epsMax?: number;
  /** Stop when the bracket of certified / not certified ε is this narrow, pixels (default 0.01). */
  readonly tolerance?: number;
  /** Methods with a direct minimum-distance form (milp): their time limit, seconds. */
  readonly timeLimit?: number;
  readonly box?: readonly [number, number];
  /**
   * performance.now() after which the bisection stops where it is (its lower bound is still
   * certified, only less tight): a caller's time limit covering this bisection too.
   */
  readonly deadline?: number;
}

/**
 * The minimum-distance form of a certifying method: bisection on ε for the largest certified
 * radius. Certification is monotone in ε for sound methods (a smaller ball is inside a larger one),
 * so every ε below the reported lower bound is certified too.
 */
export async function boundRho(
  method: BoundMethod,
  net: Network,
  center: ArrayLike<number>,
  label: number,
  opts: BisectOptions = {},
): Promise<RhoBound> {
  if (method.rho) return method.rho(net, center, label, opts);
  const t0 = performance.now();
  const box = opts.box ?? [0, 255];
  const epsMax = opts.epsMax ?? 255;
  const tolerance = opts.tolerance ?? 0.01;
  let calls = 0;
  let upper: number | null = null;
  let witness: Float64Array | undefined;
  const at = async (eps: number) => {
    calls++;
    const c = await method.certify({ net, center, label, eps, box });
    if (c.status === "falsified" && c.witness) {
      const d = linf(c.witness, center);
      if (upper === null || d < upper) [upper, witness] = [d, c.witness];
    }
    return c.status === "certified";
  };
  const done = (lower: number, status: RhoBound["status"]): RhoBound => ({
    method: method.name,
    lower,
    upper,
    status,
    ...(witness ? { witness } : {}),
    seconds: (performance.now() - t0) / 1000,
    calls,
  });
  // gallop from 1 pixel (bounds on real networks are pixels, not tens of them), then bisect
  let lo = 0;
  let hi = Math.min(1, epsMax);
  const late = () => opts.deadline !== undefined && performance.now() >= opts.deadline;
  while (await at(hi)) {
    if (hi >= epsMax) return done(epsMax, "certified_beyond");
    if (late()) return done(hi, "bracket");
    lo = hi;
    hi = Math.min(2 * hi, epsMax);
  }
  if (upper !== null) hi = Math.min(hi, upper);
  while (hi - lo > tolerance) {
    const mid = (lo + hi) / 2;
    // below float resolution the midpoint is an end: the bracket cannot narrow any further
    if (mid <= lo || mid >= hi || late()) break;
    if (await at(mid)) lo = mid;
    else hi = upper !== null ? Math.min(mid, upper) : mid;
  }
  return done(lo, "bracket");
}
