// Fixed-ε attacks read against a minimum-distance run on the same points: an `rho eval` run of
// fixed-ε attacks (its run.json gives ε) joined by test index with bench:bounds rows, so each
// attack's share of points broken at ε stands beside what the points are known to be: broken at ε
// by some minimum-distance attack (best verified ρ̂ ≤ ε) or certified robust at ε (ρ_lb > ε).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readJsonl } from "../jsonl.js";

/** What the table needs of a bench:bounds point: its index, best verified ρ̂ and certified bounds. */
export interface BracketedPoint {
  readonly index: number;
  readonly best?: number;
  readonly lowers: readonly number[];
}

interface EvalRow {
  readonly attack: string;
  readonly index: number;
  readonly status: string;
}

export interface FixedEpsRow {
  readonly attack: string;
  /** Points of both runs the attack ran on (correctly classified). */
  readonly points: number;
  readonly adversarial: number;
  /** Of the points some minimum-distance attack breaks within ε, how many this one breaks. */
  readonly ofKnown: number;
  /** Points it breaks where no minimum-distance attack came within ε. */
  readonly beyondBest: number;
}

export interface FixedEpsTable {
  readonly eps: number;
  readonly points: number;
  /** Points with best verified ρ̂ ≤ ε: surely not robust at ε. */
  readonly known: number;
  /** Points a certified bound puts above ε: surely robust at ε. */
  readonly certified: number;
  readonly rows: readonly FixedEpsRow[];
}

/** One eval run directory (results.jsonl + run.json) read against the joined bench:bounds points. */
export function fixedEpsTable(dir: string, points: readonly BracketedPoint[]): FixedEpsTable {
  const eps = (JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as { eps: number }).eps;
  const results = readJsonl<EvalRow>(join(dir, "results.jsonl"));
  const byIndex = new Map(points.map((p) => [p.index, p]));
  const attacks = new Set(results.map((r) => r.attack));
  // the points every attack of the run finished (a stopped run's last point may lack some)
  const ranBy = new Map<number, Set<string>>();
  for (const r of results) ranBy.set(r.index, (ranBy.get(r.index) ?? new Set()).add(r.attack));
  const done = (i: number) => byIndex.has(i) && ranBy.get(i)?.size === attacks.size;
  const ran = results.filter((r) => done(r.index) && r.status !== "misclassified");
  const shared = [...new Set(ran.map((r) => r.index))].map((i) => byIndex.get(i) as BracketedPoint);
  const knownAt = (p: BracketedPoint) => p.best !== undefined && p.best <= eps;
  return {
    eps,
    points: shared.length,
    known: shared.filter(knownAt).length,
    certified: shared.filter((p) => p.lowers.some((l) => l > eps)).length,
    rows: [...attacks].map((attack) => {
      const mine = ran.filter((r) => r.attack === attack);
      const broken = mine
        .filter((r) => r.status === "adversarial")
        .map((r) => byIndex.get(r.index) as BracketedPoint);
      const ofKnown = broken.filter(knownAt).length;
      return {
        attack,
        points: mine.length,
        adversarial: broken.length,
        ofKnown,
        beyondBest: broken.length - ofKnown,
      };
    }),
  };
}

/** The table as markdown, with the reference line above it. */
export function formatFixedEps(t: FixedEpsTable): string {
  const lines = [
    `\nε = ${t.eps}: ${t.points} points; some minimum-distance attack breaks ${t.known} within ε (best verified ρ̂ ≤ ε); a certified bound proves ${t.certified} robust at ε`,
    `\n| attack | adversarial at ε = ${t.eps} | of the ${t.known} broken by best ρ̂ | beyond best ρ̂ |\n|---|---|---|---|`,
  ];
  for (const r of t.rows)
    lines.push(
      `| ${r.attack} | ${r.adversarial} of ${r.points} | ${r.ofKnown} of ${t.known} | ${r.beyondBest} |`,
    );
  return lines.join("\n");
}
