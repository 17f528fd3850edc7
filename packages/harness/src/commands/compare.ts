import { robustnessStats } from "@rho/metrics";
import { EXIT_NOT_OK, EXIT_OK, UsageError } from "../errors.js";
import { readRun } from "../eval/spec.js";
import { pct, px } from "../format.js";
import type { Output } from "../output.js";

export interface CompareOptions {
  maxFrequencyIncrease?: number;
  maxSeverityDecrease?: number;
  json: boolean;
}

/**
 * `rho compare OLD NEW`: each attack's frequency and severity in two runs over the same data and
 * points (e.g. two releases of a model), side by side; exit 1 when a threshold is crossed, so it
 * can gate a CI pipeline. Runs over different data or points are refused.
 */
export function compareCommand(oldDir: string, newDir: string, o: CompareOptions, out: Output): number {
  const a = readRun(oldDir);
  const b = readRun(newDir);
  if (
    a.spec.dataset.sha256 !== b.spec.dataset.sha256 ||
    JSON.stringify(a.spec.points) !== JSON.stringify(b.spec.points)
  )
    throw new UsageError(
      `${oldDir} and ${newDir} are over different data or points: their numbers are not comparable`,
    );
  if (a.spec.eps !== b.spec.eps)
    throw new UsageError(`the runs use different ε (${a.spec.eps} and ${b.spec.eps})`);
  const attacks = a.spec.attacks.map((x) => x.name).filter((n) => b.spec.attacks.some((y) => y.name === n));
  if (attacks.length === 0) throw new UsageError("the runs have no attack in common");
  const failures: string[] = [];
  const table = attacks.map((attack) => {
    const s0 = robustnessStats(
      a.rows.filter((r) => r.attack === attack),
      a.spec.eps,
    );
    const s1 = robustnessStats(
      b.rows.filter((r) => r.attack === attack),
      b.spec.eps,
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
      old: s0,
      new: s1,
      frequencyChange: dFreq,
      severityChange: Number.isFinite(dSev) ? dSev : null,
    };
  });
  if (o.json) out.json({ old: oldDir, new: newDir, eps: a.spec.eps, attacks: table, failures });
  else {
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
