// `report`: Table 1, Figure 3 and Figure 2 from results directories, written to a folder —
// the work behind `rho report`, returning what it wrote and the table as data.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../errors.js";
import { type ExampleImage, exampleImages, runData } from "../report/figure2.js";
import { defaultMaxEps, figure3Data, figure3Spec, renderSvg, svgToPng } from "../report/figure3.js";
import { type GapRow, gapRows, gapsMarkdown } from "../report/gaps.js";
import { reportHtml } from "../report/html.js";
import { attackFamily, readReportRuns, reportAttacks } from "../report/runs.js";
import { type TableRow, table1, table1Cells, table1Csv, table1Markdown } from "../report/table.js";

/** Marks a directory as a rho report, which the next report may replace. */
const MARKER = ".rho-report";

export interface ReportOptions {
  /** Results directories (from evaluate, rho eval or rho merge): a model each, a row of Table 1 each. */
  readonly runs: readonly string[];
  /** The report's folder: replaced if it holds an earlier report, refused if it holds anything else. */
  readonly out: string;
  /** Each run's name in the table (default: its model's folder name). */
  readonly names?: readonly string[];
  /** ε of the table (default: the runs' own, which must then agree). */
  readonly eps?: number;
  /** Figure 3's largest ρ̂. */
  readonly maxEps?: number;
  /** Figure 2's examples per run (default 2; 0: none). */
  readonly examples?: number;
  /** Where a dataset that is not embedded lives (Figure 2 reads the original images). */
  readonly dataDir?: string;
}

export interface Report {
  readonly dir: string;
  readonly eps: number;
  /** The attacks of the table, in order. */
  readonly attacks: readonly string[];
  /** Table 1: a row per run, a cell per attack. */
  readonly table: readonly TableRow[];
  /** Table 1 as Markdown (95% intervals). */
  readonly markdown: string;
  /** Each attack's gap to exact ρ, where a run has exact ρ (bound milp) rows. */
  readonly gaps: readonly GapRow[];
  readonly gapsMarkdown: string;
  /** The files written, relative to `dir`. */
  readonly files: readonly string[];
  /** What the report leaves out, and why. */
  readonly notes: readonly string[];
}

/** Writes the report; everything is computed before the first write, so a failure leaves the previous report. */
export async function report(o: ReportOptions): Promise<Report> {
  const runs = readReportRuns(o.runs, o.names);
  const epsValues = [...new Set(runs.map((r) => r.spec.eps))];
  if (o.eps === undefined && epsValues.length > 1)
    throw new UsageError(`the runs use different ε (${epsValues.join(", ")}): choose one (--eps)`);
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
    if ((o.examples ?? 2) === 0) break;
    const data = runData(run, o.dataDir, loaded);
    if (typeof data === "string") notes.push(`Figure 2 has no images of ${run.name}: ${data}`);
    else examples.push(...exampleImages(run, data, o.examples ?? 2));
  }

  // everything is computed before the first write; files go to a fresh directory renamed into
  // place, so a failed report leaves the previous one (or nothing), never half of one
  const dir = resolve(o.out);
  // the report replaces its directory: only one that is empty or an earlier report
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER)))
    throw new UsageError(`${o.out} exists and is not a rho report; choose a new or empty out (--out)`);
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

  const files = [
    "index.html",
    "table1.md",
    "table1.csv",
    ...(gaps.length ? ["gaps.md"] : []),
    "figure3.vl.json",
    "figure3.svg",
    "figure3.png",
    ...examples.map((e) => `figure2/${e.file}`),
  ];
  return { dir, eps, attacks, table: rows, markdown, gaps, gapsMarkdown: gapsMarkdown(gaps), files, notes };
}
