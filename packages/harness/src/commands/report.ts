import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { EXIT_OK, UsageError } from "../errors.js";
import type { Output } from "../output.js";
import { type ExampleImage, exampleImages, runData } from "../report/figure2.js";
import { defaultMaxEps, figure3Data, figure3Spec, renderSvg, svgToPng } from "../report/figure3.js";
import { gapRows, gapsMarkdown } from "../report/gaps.js";
import { reportHtml } from "../report/html.js";
import { attackFamily, readReportRuns, reportAttacks } from "../report/runs.js";
import { table1, table1Cells, table1Csv, table1Markdown } from "../report/table.js";

/** Marks a directory as a rho report, which the next report may replace. */
const MARKER = ".rho-report";

export interface ReportOptions {
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
export async function reportCommand(dirs: string[], o: ReportOptions, out: Output): Promise<number> {
  const names = o.names?.split(",").map((s) => s.trim());
  const runs = readReportRuns(dirs, names);
  const epsValues = [...new Set(runs.map((r) => r.spec.eps))];
  if (o.eps === undefined && epsValues.length > 1)
    throw new UsageError(`the runs use different ε (${epsValues.join(", ")}): choose one with --eps`);
  const eps = o.eps ?? (epsValues[0] as number);
  const attacks = reportAttacks(runs);

  const rows = table1(runs, attacks, eps);
  const cells = table1Cells(rows, attacks);
  const markdown = table1Markdown(cells);
  const gaps = gapRows(runs, attacks);
  // Figure 3 plots ρ̂: minimum-distance attacks only
  const curves = attacks.filter((a) => attackFamily(runs, a) === "minimum-distance");
  const notes: string[] = [];
  const fixed = attacks.filter((a) => !curves.includes(a));
  if (fixed.length && curves.length)
    notes.push(`Figure 3 leaves out ${fixed.join(", ")}: fixed-ε attacks answer at ε and estimate no ρ̂`);
  else if (fixed.length)
    notes.push(
      "Figure 3 shows only fixed-ε attacks: their distances are where they were run, not estimates of ρ",
    );
  const shown = curves.length ? curves : attacks;
  const spec = figure3Spec(figure3Data(runs, shown, o.maxEps ?? defaultMaxEps(runs, eps)), shown, eps);
  const svg = await renderSvg(spec);
  const examples: ExampleImage[] = [];
  const loaded: Parameters<typeof runData>[2] = new Map();
  for (const run of runs) {
    if (o.examples === 0) break;
    const data = runData(run, o.dataDir, loaded);
    if (typeof data === "string") notes.push(`Figure 2 has no images of ${run.name}: ${data}`);
    else examples.push(...exampleImages(run, data, o.examples));
  }

  // everything is computed before the first write; files go to a fresh directory renamed into
  // place, so a failed report leaves the previous one (or nothing), never half of one
  const dir = resolve(o.out);
  // the report replaces its directory: only one that is empty or an earlier report
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER)))
    throw new UsageError(`${o.out} exists and is not a rho report; choose a new or empty --out`);
  const tmp = `${dir}.partial-${process.pid}`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(tmp, "figure2"), { recursive: true });
    writeFileSync(join(tmp, MARKER), "made by rho report; the directory is replaced by the next one\n");
    writeFileSync(join(tmp, "table1.md"), `${markdown}\n`);
    writeFileSync(join(tmp, "table1.csv"), table1Csv(rows, attacks));
    if (gaps.length) writeFileSync(join(tmp, "gaps.md"), `${gapsMarkdown(gaps)}\n`);
    writeFileSync(join(tmp, "figure3.vl.json"), `${JSON.stringify(spec, null, 2)}\n`);
    writeFileSync(join(tmp, "figure3.svg"), svg);
    writeFileSync(join(tmp, "figure3.png"), svgToPng(svg));
    for (const e of examples) writeFileSync(join(tmp, "figure2", e.file), e.png);
    writeFileSync(join(tmp, "index.html"), reportHtml({ runs, eps, table: cells, examples, notes }));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new UsageError(`cannot write the report to ${o.out}: ${(e as Error).message}`);
  }

  if (o.json)
    out.json({
      out: o.out,
      eps,
      attacks,
      table: rows.map((r) => ({ model: r.model, ...Object.fromEntries(r.cells) })),
      files: [
        "index.html",
        "table1.md",
        "table1.csv",
        "figure3.svg",
        "figure3.png",
        ...examples.map((e) => `figure2/${e.file}`),
      ],
      gaps,
      notes,
    });
  else {
    out.line(`Table 1 (ε = ${eps} pixels; 95% intervals):\n`);
    out.line(markdown);
    if (gaps.length) out.line(`\nEach attack's gap to exact ρ (gaps.md):\n\n${gapsMarkdown(gaps)}`);
    out.line(
      `\nReport: ${join(o.out, "index.html")}\n` +
        `Figure 3: ${join(o.out, "figure3.svg")} and figure3.png; Figure 2: ${examples.length} images in ${join(o.out, "figure2")}/`,
    );
    for (const n of notes) out.info(n);
  }
  return EXIT_OK;
}
