import { type Family, robustnessStats } from "@rho/metrics";
import { EXIT_NOT_OK, EXIT_OK, UsageError } from "../errors.js";
import { missingResults, readRun, specDifferences } from "../eval/spec.js";
import { pct, px } from "../format.js";
import type { Output } from "../output.js";

export interface CompareOptions {
  maxFrequencyIncrease?: number;
  maxSeverityDecrease?: number;
  /** Compare unfinished runs (or runs with failed points); the output says so. */
  allowPartial?: boolean;
  json: boolean;
}

/**
 * `rho compare OLD NEW`: each attack's frequency and severity in two runs over the same data and
 * points (e.g. two releases of a model), side by side; exit 1 when a threshold is crossed, so it
 * can gate a CI pipeline. Runs over different data or points are refused.
 */
export function compareCommand(oldDir: string, newDir: string, o: CompareOptions, out: Output): number {
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
  if (o.json)
    out.json({
      old: oldDir,
      new: newDir,
      eps: a.spec.eps,
      partial: partial.length > 0,
      notes: partial,
      attacks: table,
      failures,
    });
  else {
    for (const p of partial) out.line(`PARTIAL (--allow-partial): ${p}`);
    out.line(`| attack | frequency old | frequency new | severity old (px) | severity new (px) |`);
    out.line("|---|---|---|---|---|");
    for (const t of table)
      out.line(
        `| ${t.attack} | ${pct(t.old.frequency.value)} | ${pct(t.new.frequency.value)} | ${px(t.old.severity.value)} | ${px(t.new.severity.value)} |`,
      );
    for (const f of failures) out.info(`threshold crossed: ${f}`);
  }
  return failures.length ? EXIT_NOT_OK : EXIT_OK;
}
