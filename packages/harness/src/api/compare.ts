// `compare`: two runs of the same data and points (two releases of a model) side by side, with
// thresholds that a CI pipeline can gate on — the work behind `rho compare`.
import { type Family, type RobustnessStats, robustnessStats } from "@rho/metrics";
import { UsageError } from "../errors.js";
import { missingResults, readRun, specDifferences } from "../eval/spec.js";

export interface CompareOptions {
  /** Largest allowed rise of an attack's adversarial frequency, percentage points. */
  readonly maxFrequencyIncrease?: number;
  /** Largest allowed fall of an attack's severity, pixels. */
  readonly maxSeverityDecrease?: number;
  /** Compare unfinished runs (or runs with failed points); `partial` says so. */
  readonly allowPartial?: boolean;
}

export interface AttackChange {
  readonly attack: string;
  readonly family: Family;
  readonly old: RobustnessStats;
  readonly new: RobustnessStats;
  /** Percentage points. */
  readonly frequencyChange: number;
  /** Pixels; null where either severity is undefined (no example). */
  readonly severityChange: number | null;
}

export interface Comparison {
  readonly eps: number;
  /** Per attack (bound methods are not compared). */
  readonly attacks: readonly AttackChange[];
  /** Each threshold crossed, as one line; empty when the new run passes. */
  readonly failures: readonly string[];
  /** Why a run is partial (unfinished, failed points); empty for finished runs. */
  readonly partial: readonly string[];
}

/**
 * Each attack's frequency and severity in two results directories. Runs over different data,
 * points, attacks or ε are refused (UsageError), and so are partial runs unless allowPartial.
 */
export function compare(oldDir: string, newDir: string, o: CompareOptions = {}): Comparison {
  for (const t of [o.maxFrequencyIncrease, o.maxSeverityDecrease])
    if (t !== undefined && !Number.isFinite(t)) throw new UsageError(`thresholds must be numbers, got ${t}`);
  const a = readRun(oldDir);
  const b = readRun(newDir);
  // the runs may differ in their model (that is the point) and nothing else that changes answers
  const diff = specDifferences(a.spec, b.spec, ["model"]);
  if (diff.length)
    throw new UsageError(`${oldDir} and ${newDir} are not comparable: they differ in ${diff.join("; ")}`);
  const partial: string[] = [];
  for (const [dir, run] of [
    [oldDir, a],
    [newDir, b],
  ] as const) {
    const missing = missingResults(run.spec, run.rows);
    const failed = run.rows.filter((r) => r.status === "error" || r.status === "timeout").length;
    if (missing) partial.push(`${dir} is unfinished (${missing} results missing)`);
    if (failed) partial.push(`${dir} has ${failed} failed points (error or timeout)`);
  }
  if (partial.length && !o.allowPartial)
    throw new UsageError(
      `${partial.join("; ")}: finish it with rho eval --resume, or compare anyway with --allow-partial`,
    );
  // bound methods (rho eval --bounds) are not attacks: their brackets are not compared here
  const attacks = a.spec.attacks.filter((x) => x.family !== "bound").map((x) => x.name);
  const family = (name: string) =>
    (a.spec.attacks.find((x) => x.name === name)?.family ?? "minimum-distance") as Family;
  const failures: string[] = [];
  const table = attacks.map((attack) => {
    const opts = { family: family(attack) };
    const s0 = robustnessStats(
      a.rows.filter((r) => r.attack === attack),
      a.spec.eps,
      opts,
    );
    const s1 = robustnessStats(
      b.rows.filter((r) => r.attack === attack),
      b.spec.eps,
      opts,
    );
    const dFreq = 100 * (s1.frequency.value - s0.frequency.value);
    const dSev = s1.severity.value - s0.severity.value;
    if (o.maxFrequencyIncrease !== undefined && dFreq > o.maxFrequencyIncrease)
      failures.push(`${attack}: frequency up ${dFreq.toFixed(1)} points (allowed ${o.maxFrequencyIncrease})`);
    if (o.maxSeverityDecrease !== undefined && -dSev > o.maxSeverityDecrease)
      failures.push(
        `${attack}: severity down ${(-dSev).toFixed(2)} pixels (allowed ${o.maxSeverityDecrease})`,
      );
    return {
      attack,
      family: family(attack),
      old: s0,
      new: s1,
      frequencyChange: dFreq,
      severityChange: Number.isFinite(dSev) ? dSev : null,
    };
  });
  return { eps: a.spec.eps, attacks: table, failures, partial };
}
