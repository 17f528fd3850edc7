// Table 1: per model its accuracy and, per attack, adversarial frequency and severity at ε.
import { type BracketShares, bracketShares, type RobustnessStats, robustnessStats } from "@rho/metrics";
import { stringify } from "csv-stringify/sync";
import { pointBrackets } from "../eval/brackets.js";
import { withInterval } from "../format.js";
import { attackFamily, type ReportRun } from "./runs.js";

export interface TableRow {
  readonly model: string;
  /** Per attack; undefined where the run did not use that attack. */
  readonly cells: ReadonlyMap<string, RobustnessStats>;
  /** Statistics of the run's first attack, for points and accuracy (the same model, the same points). */
  readonly overall: RobustnessStats;
  /** With bound methods in the run (rho eval --bounds): certified / proven non-robust / unknown at ε. */
  readonly bracket?: BracketShares;
}

export function table1(runs: readonly ReportRun[], attacks: readonly string[], eps: number): TableRow[] {
  return runs.map((run) => {
    const cells = new Map<string, RobustnessStats>();
    for (const a of attacks)
      if (run.spec.attacks.some((x) => x.name === a))
        cells.set(
          a,
          robustnessStats(
            run.rows.filter((r) => r.attack === a),
            eps,
            { family: attackFamily(runs, a) },
          ),
        );
    const first = run.spec.attacks[0]?.name ?? "";
    const overall = cells.get(first) ?? robustnessStats([], eps);
    const bracket = run.spec.attacks.some((a) => a.family === "bound")
      ? bracketShares(pointBrackets(run.spec, run.rows), eps)
      : undefined;
    return { model: run.name, cells, overall, ...(bracket ? { bracket } : {}) };
  });
}

/** Table 1 as header and body cells of text, e.g. "4.0% [1.6, 9.8]". */
export function table1Cells(
  rows: readonly TableRow[],
  attacks: readonly string[],
): { head: string[]; body: string[][] } {
  const head = [
    "model",
    "points",
    "accuracy",
    ...attacks.flatMap((a) => [`${a} frequency`, `${a} severity (px)`]),
    ...(rows.some((r) => r.bracket) ? ["certified robust", "proven non-robust", "unknown"] : []),
  ];
  // a fixed-epsilon attack's distances are no estimate of ρ: it has no severity
  const severity = (s: RobustnessStats) =>
    Number.isNaN(s.severity.value) && s.adversarial > 0 ? "— (fixed ε)" : withInterval(s.severity, "px");
  const body = rows.map((r) => [
    r.model,
    String(r.overall.points),
    withInterval(r.overall.accuracy, "pct"),
    ...attacks.flatMap((a) => {
      const s = r.cells.get(a);
      return s ? [withInterval(s.frequency, "pct"), severity(s)] : ["—", "—"];
    }),
    ...(rows.some((x) => x.bracket)
      ? r.bracket
        ? [r.bracket.certified, r.bracket.nonRobust, r.bracket.unknown].map((e) => withInterval(e, "pct"))
        : ["—", "—", "—"]
      : []),
  ]);
  return { head, body };
}

export function table1Markdown(cells: { head: string[]; body: string[][] }): string {
  const md = (c: string[]) => `| ${c.map((x) => x.replaceAll("|", "\\|")).join(" | ")} |`;
  return [md(cells.head), md(cells.head.map(() => "---")), ...cells.body.map(md)].join("\n");
}

const CSV_COLUMNS = [
  "model",
  "attack",
  "eps",
  "points",
  "correct",
  "accuracy",
  "accuracy_lower",
  "accuracy_upper",
  "adversarial",
  "frequency",
  "frequency_lower",
  "frequency_upper",
  "severity",
  "severity_lower",
  "severity_upper",
];

/** Long form: one line per model and attack, every estimate with its interval, for spreadsheets. */
export function table1Csv(rows: readonly TableRow[], attacks: readonly string[]): string {
  const records = rows.flatMap((r) =>
    attacks.flatMap((attack) => {
      const s = r.cells.get(attack);
      if (!s) return [];
      const num = (v: number) => (Number.isFinite(v) ? v : "");
      return [
        {
          model: r.model,
          attack,
          eps: s.eps,
          points: s.points,
          correct: s.correct,
          accuracy: num(s.accuracy.value),
          accuracy_lower: num(s.accuracy.lower),
          accuracy_upper: num(s.accuracy.upper),
          adversarial: s.adversarial,
          frequency: num(s.frequency.value),
          frequency_lower: num(s.frequency.lower),
          frequency_upper: num(s.frequency.upper),
          severity: num(s.severity.value),
          severity_lower: num(s.severity.lower),
          severity_upper: num(s.severity.upper),
        },
      ];
    }),
  );
  return stringify(records, { header: true, columns: CSV_COLUMNS });
}
