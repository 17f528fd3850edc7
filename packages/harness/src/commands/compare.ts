import { type CompareOptions, compare } from "../api/compare.js";
import { EXIT_NOT_OK, EXIT_OK } from "../errors.js";
import { pct, px } from "../format.js";
import type { Output } from "../output.js";

export interface CompareCommandOptions extends CompareOptions {
  json: boolean;
}

/**
 * `rho compare OLD NEW`: each attack's frequency and severity in two runs over the same data and
 * points (e.g. two releases of a model), side by side; exit 1 when a threshold is crossed, so it
 * can gate a CI pipeline. Runs over different data or points are refused.
 */
export function compareCommand(
  oldDir: string,
  newDir: string,
  o: CompareCommandOptions,
  out: Output,
): number {
  const { eps, attacks: table, failures, partial } = compare(oldDir, newDir, o);
  if (o.json)
    out.json({
      old: oldDir,
      new: newDir,
      eps,
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
