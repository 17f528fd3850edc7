import { join } from "node:path";
import { type Report, report } from "../api/report.js";
import { EXIT_OK } from "../errors.js";
import type { Output } from "../output.js";

export interface ReportCommandOptions {
  out: string;
  names?: string;
  eps?: number;
  maxEps?: number;
  examples: number;
  dataDir?: string;
  json: boolean;
}

/**
 * `rho report RUN… --out DIR`: Table 1 (Markdown, CSV), Figure 3 (Vega-Lite spec, SVG, PNG),
 * Figure 2 (PNG per example) and index.html from one or more results directories (a model each).
 */
export async function reportCommand(dirs: string[], o: ReportCommandOptions, out: Output): Promise<number> {
  const r = await report({
    runs: dirs,
    out: o.out,
    ...(o.names ? { names: o.names.split(",").map((s) => s.trim()) } : {}),
    ...(o.eps === undefined ? {} : { eps: o.eps }),
    ...(o.maxEps === undefined ? {} : { maxEps: o.maxEps }),
    examples: o.examples,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
  });
  printReport(r, o.out, o.json, out);
  return EXIT_OK;
}

/** A report as `rho report` prints it: Table 1 and where the files are, or one JSON object. */
export function printReport(r: Report, outLabel: string, json: boolean, out: Output): void {
  const { eps, attacks, gaps, notes, markdown } = r;
  if (json)
    out.json({
      out: outLabel,
      eps,
      attacks,
      table: r.table.map((row) => ({ model: row.model, ...Object.fromEntries(row.cells) })),
      files: r.files,
      gaps,
      notes,
    });
  else {
    out.line(`Table 1 (ε = ${eps} pixels; 95% intervals):\n`);
    out.line(markdown);
    if (gaps.length) out.line(`\nEach attack's gap to exact ρ (gaps.md):\n\n${r.gapsMarkdown}`);
    out.line(
      `\nReport: ${join(outLabel, "index.html")}\n` +
        `Figure 3: ${join(outLabel, "figure3.svg")} and figure3.png; Figure 2: ${r.files.filter((f) => f.startsWith("figure2/")).length} images in ${join(outLabel, "figure2")}/`,
    );
    for (const n of notes) out.info(n);
  }
}
