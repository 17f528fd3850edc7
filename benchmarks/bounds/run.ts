// Benchmark: the bracket ρ_lb ≤ ρ ≤ ρ̂ on the first N MNIST test points of a shipped model — each
// certifying method's lower bound and seconds, exact ρ by MILP where it is settled (searched
// within the best attack's ρ̂, which the MILP can only confirm or undercut), and each attack's gap
// to exact ρ. One point at a time on one core. Prints a table and writes JSON; per-point results
// stream to a JSONL file. Run: npm run bench:bounds -- --help
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { getAttack, tfjsContext } from "@rho/attacks";
import { boundRho, exactRho, getBoundMethod } from "@rho/bounds";
import { image, loadDataset } from "@rho/datasets";
import { loadModel, useBackend } from "@rho/models";
import { parseAttackSpecs } from "../attack-specs.js";
import { appendJsonl, jsonlFile, readJsonl, startJsonl } from "../jsonl.js";
import { benchmarkModel } from "../models.js";
import { median, quantile } from "../stats.js";
import { fixedEpsTable, formatFixedEps } from "./fixed-eps.js";

const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: "mlp" },
    dataset: { type: "string", default: "mnist" },
    "data-dir": { type: "string" },
    points: { type: "string", default: "100" },
    methods: { type: "string", default: "ibp,crown" },
    attacks: { type: "string", default: "alp-walk,lbfgs,pgd" },
    "skip-milp": { type: "boolean", default: false },
    "milp-form": { type: "string", default: "auto" },
    "time-limit": { type: "string", default: "30" },
    "exact-from": { type: "string" },
    out: { type: "string" },
    summarize: { type: "string" },
    fixed: { type: "string" },
    resume: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:bounds -- [options]
  --model NAME|DIR      a shipped model (mlp, lenet, nin), or a model directory (default mlp)
  --dataset D          mnist (default) or cifar10; --data-dir DIR where its files are (CIFAR-10 has none built in)
  --points N           the first N test points (default 100)
  --methods a,b        certifying methods bisected for ρ_lb (default ibp,crown)
  --attacks a,b:k=v    attacks whose ρ̂ gives the upper side and the gap to exact ρ, each with options
                       after a colon (k=v, joined by +), e.g. alp-walk:descent=false (default alp-walk,lbfgs,pgd)
  --skip-milp          skip exact ρ
  --milp-form F        auto (default), disjunction or per-target: how each ball's MILP is posed
  --time-limit S       MILP seconds per point (default 30)
  --exact-from F       take exact ρ from an earlier run's per-point JSONL where it settled it (the MILP
                       runs only on the other points): comparing attacks without re-solving the MILPs
  --out FILE           JSON output (default benchmarks/bounds/out/<model>.json); per point: FILE with .jsonl
  --resume             go on from the per-point file of a stopped run with the same options: its points
                       are kept and skipped
  --summarize F[,G]    print the tables from a per-point JSONL file (a finished or stopped run; give the
                       run's --methods and --attacks) and exit; several files (runs of other attacks on
                       the same model) are joined on the points they all hold
  --fixed DIR[,DIR]    also read \`rho eval\` runs of fixed-ε attacks on the same points (one ε each): each
                       attack's share broken at ε beside the points the best ρ̂ breaks within ε and
                       the points a bound certifies at ε`);
  process.exit(0);
}
const model = benchmarkModel(args.model);
const points = Number(args.points);
const timeLimit = Number(args["time-limit"]);
const forms = ["auto", "disjunction", "per-target"] as const;
const form = forms.find((f) => f === args["milp-form"]);
if (!form) {
  console.error(`--milp-form must be one of ${forms.join(", ")}, got "${args["milp-form"]}"`);
  process.exit(2);
}
const methods = args.methods.split(",").filter(Boolean).map(getBoundMethod);
const attacks = parseAttackSpecs(args.attacks).map((s) => ({ ...s, attack: getAttack(s.name) }));
const out = args.out ?? `benchmarks/bounds/out/${model.name}.json`;
const jsonl = args.summarize ? jsonlFile(out) : startJsonl(out, args.resume);

interface Row {
  index: number;
  bounds: Record<string, { lower: number; seconds: number; peakMB?: number }>;
  attacks: Record<string, number | null>;
  /** Each attack's seconds on the point (absent in files from before it was recorded). */
  attackSeconds?: Record<string, number>;
  /** reused: taken from `--exact-from`'s file (its seconds are that run's). */
  milp?: { status: string; lower: number; upper: number | null; seconds: number; reused?: boolean };
}
const rows: Row[] = args.summarize
  ? mergeRuns(args.summarize.split(",").map((f) => readJsonl<Row>(f)))
  : args.resume
    ? readJsonl<Row>(jsonl)
    : [];
/**
 * Several runs' rows on the same model as one: the points every run holds, each point's bounds,
 * attacks and seconds joined (attacks too dear to run beside the others — ALP on NiN — run apart
 * on the same points; a point one run lacks is left out, so every attack is read on the same points).
 */
function mergeRuns(runs: Row[][]): Row[] {
  const byIndex = runs.map((run) => new Map(run.map((r) => [r.index, r])));
  return (runs[0] ?? []).flatMap((first) => {
    const parts = byIndex.map((m) => m.get(first.index));
    if (parts.some((r) => r === undefined)) return [];
    return [
      (parts as Row[]).reduce((a, b) => ({
        index: a.index,
        bounds: { ...a.bounds, ...b.bounds },
        attacks: { ...a.attacks, ...b.attacks },
        attackSeconds: { ...a.attackSeconds, ...b.attackSeconds },
        ...((a.milp ?? b.milp) ? { milp: a.milp ?? b.milp } : {}),
      })),
    ];
  });
}
const done = new Set(rows.map((r) => r.index));
/** Exact ρ settled by an earlier run, by point (exact is exact whatever attacks bounded that MILP). */
const settled = new Map(
  (args["exact-from"] ? readJsonl<Row>(args["exact-from"]) : [])
    .filter((r) => r.milp?.status === "exact")
    .map((r) => [r.index, r.milp] as const),
);
// a summary reads its runs' rows only: no model, backend or data to load
if (!args.summarize) {
  await useBackend("wasm");
  const net = await loadModel(model.dir);
  const ctx = await tfjsContext(net);
  const data = loadDataset(args.dataset, "test", args["data-dir"]);
  for (let i = 0; i < points; i++) {
    if (done.has(i)) continue;
    const px = image(data, i);
    const label = data.labels[i] as number;
    if (net.predict64(px) !== label) continue;
    const row: Row = { index: i, bounds: {}, attacks: {}, attackSeconds: {} };
    for (const m of methods) {
      const r = await boundRho(m, net, px, label, { epsMax: 64, tolerance: 0.01 });
      // the process's peak resident memory so far (monotone: one method per run isolates each)
      row.bounds[m.name] = {
        lower: r.lower,
        seconds: r.seconds,
        peakMB: process.resourceUsage().maxRSS / 1024,
      };
    }
    for (const a of attacks) {
      const r = await a.attack.run(ctx, { pixels: px, label, index: i }, a.opts);
      row.attacks[a.label] = r.status === "adversarial" ? r.rho : null;
      (row.attackSeconds as Record<string, number>)[a.label] = r.seconds;
    }
    const earlier = settled.get(i);
    if (earlier) row.milp = { ...earlier, reused: true };
    else if (!args["skip-milp"]) {
      const found = Object.values(row.attacks).filter((v): v is number => v !== null);
      const epsMax = found.length ? Math.min(...found) * 1.001 + 0.01 : 64;
      const r = await exactRho(net, px, label, { epsMax, timeLimit, form });
      row.milp = { status: r.status, lower: r.lower, upper: r.upper, seconds: r.seconds };
    }
    rows.push(row);
    appendJsonl(jsonl, row);
    process.stderr.write(
      `#${i}: ${Object.entries(row.bounds)
        .map(([k, v]) => `${k} ${v.lower.toFixed(2)}`)
        .join(
          ", ",
        )}; milp ${row.milp ? `${row.milp.status} [${row.milp.lower.toFixed(2)}, ${row.milp.upper?.toFixed(2) ?? "—"}] ${row.milp.seconds.toFixed(1)} s` : "—"}\n`,
    );
  }
}

const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "—");
/** Exact ρ where the MILP settled it: the verified witness's distance (it equals the bound to 0.1 %). */
const exactOf = (r: Row) => (r.milp?.status === "exact" ? (r.milp.upper as number) : undefined);
const withExact = rows.filter((r) => exactOf(r) !== undefined);
/**
 * Where exact ρ is not known (LeNet, NiN, a MILP out of time): the best verified ρ̂ over every
 * attack of the run (exact ρ where it is known), each attack's ρ̂ against it.
 */
const bestOf = (r: Row) => {
  const found = Object.values(r.attacks).filter((v): v is number => v !== null && v !== undefined);
  return exactOf(r) ?? (found.length ? Math.min(...found) : undefined);
};
const withBest = rows.filter((r) => bestOf(r) !== undefined);
const methodTable = methods.map((m) => {
  const lowers = rows.map((r) => r.bounds[m.name]?.lower as number);
  const secs = rows.map((r) => r.bounds[m.name]?.seconds as number);
  const ratio = withExact.map((r) => (r.bounds[m.name]?.lower as number) / (exactOf(r) as number));
  return {
    method: m.name,
    medianLower: median(lowers),
    medianSeconds: median(secs),
    p90Seconds: quantile(secs, 0.9),
    medianRatioToExact: median(ratio),
    medianRatioToBest: median(
      withBest.map((r) => (r.bounds[m.name]?.lower as number) / (bestOf(r) as number)),
    ),
    peakMB: Math.max(...rows.map((r) => r.bounds[m.name]?.peakMB ?? Number.NaN)),
  };
});
const milpSecs = rows.flatMap((r) => (r.milp ? [r.milp.seconds] : []));
const attackTable = attacks.map((a) => {
  const ratios = withExact.flatMap((r) => {
    const v = r.attacks[a.label];
    return v === null || v === undefined ? [] : [v / (exactOf(r) as number)];
  });
  const secs = rows.flatMap((r) =>
    r.attackSeconds?.[a.label] !== undefined ? [r.attackSeconds[a.label] as number] : [],
  );
  const toBest = withBest.flatMap((r) => {
    const v = r.attacks[a.label];
    return v === null || v === undefined ? [] : [v / (bestOf(r) as number)];
  });
  return {
    attack: a.label,
    found: rows.filter((r) => typeof r.attacks[a.label] === "number").length,
    medianRatio: median(ratios),
    within1pct: ratios.filter((x) => x <= 1.01).length,
    within10pct: ratios.filter((x) => x <= 1.1).length,
    compared: ratios.length,
    medianRatioToBest: median(toBest),
    within1pctOfBest: toBest.filter((x) => x <= 1.01).length,
    comparedToBest: withBest.length,
    medianSeconds: median(secs),
    p90Seconds: quantile(secs, 0.9),
  };
});
/** Shares within this of 0 count as neither lower nor higher. */
const TIE = 1e-6;
/**
 * For two specs of one attack (e.g. alp-walk, then alp-walk:descent=false as the reference): on
 * the exact points where both found an example and the reference's ρ̂ lies above ρ, the share of
 * its gap to ρ the first closes, (ρ̂_ref − ρ̂) / (ρ̂_ref − ρ) (negative where the first is higher).
 */
const gapClosed = attacks.flatMap((a, i) =>
  attacks.slice(i + 1).flatMap((ref) => {
    if (a.name !== ref.name) return [];
    const shares = withExact.flatMap((r) => {
      const [x, y, rho] = [r.attacks[a.label], r.attacks[ref.label], exactOf(r) as number];
      return x == null || y == null || !(y - rho > 1e-6 * rho) ? [] : [(y - x) / (y - rho)];
    });
    return [
      {
        attack: a.label,
        reference: ref.label,
        points: shares.length,
        lower: shares.filter((v) => v > TIE).length,
        higher: shares.filter((v) => v < -TIE).length,
        medianShare: median(shares),
        meanShare: shares.reduce((t, v) => t + v, 0) / shares.length,
        medianShareWhereLower: median(shares.filter((v) => v > TIE)),
      },
    ];
  }),
);
const fixed = (args.fixed ?? "")
  .split(",")
  .filter(Boolean)
  .map((dir) =>
    fixedEpsTable(
      dir,
      rows.map((r) => ({
        index: r.index,
        best: bestOf(r),
        lowers: methods.flatMap((m) => (r.bounds[m.name] ? [r.bounds[m.name]?.lower as number] : [])),
      })),
    ),
  );
const summary = {
  model: args.model,
  points: rows.length,
  exact: withExact.length,
  milpMedianSeconds: median(milpSecs),
  milpP90Seconds: quantile(milpSecs, 0.9),
  methods: methodTable,
  attacks: attackTable,
  gapClosed,
  fixed,
};
console.log(
  `\n${args.model}: ${rows.length} correctly classified ${args.summarize ? "points in the runs read" : `of the first ${points} test points`}; exact ρ for ${withExact.length} (MILP median ${fmt(summary.milpMedianSeconds, 1)} s, p90 ${fmt(summary.milpP90Seconds, 1)} s)\n`,
);
console.log(
  "| method | median ρ_lb (px) | median ρ_lb / ρ | median ρ_lb / best | median s | p90 s | peak RSS MB (process) |\n|---|---|---|---|---|---|---|",
);
for (const m of methodTable)
  console.log(
    `| ${m.method} | ${fmt(m.medianLower)} | ${fmt(m.medianRatioToExact, 3)} | ${fmt(m.medianRatioToBest, 3)} | ${fmt(m.medianSeconds, 3)} | ${fmt(m.p90Seconds, 3)} | ${fmt(m.peakMB, 0)} |`,
  );
console.log(
  "\n| attack | examples | median ρ̂ / ρ | within 1 % of ρ | within 10 % | median ρ̂ / best | within 1 % of best | median s | p90 s |\n|---|---|---|---|---|---|---|---|---|",
);
for (const a of attackTable)
  console.log(
    `| ${a.attack} | ${a.found} | ${fmt(a.medianRatio, 3)} | ${a.within1pct} of ${a.compared} | ${a.within10pct} of ${a.compared} | ${fmt(a.medianRatioToBest, 3)} | ${a.within1pctOfBest} of ${a.comparedToBest} | ${fmt(a.medianSeconds)} | ${fmt(a.p90Seconds)} |`,
  );
console.log(
  `\nbest: exact ρ where the MILP settled it, else the smallest verified ρ̂ of this run's attacks (${withBest.length} points)`,
);
for (const g of gapClosed)
  console.log(
    `\n${g.attack} against ${g.reference}, on the ${g.points} points where ${g.reference}'s ρ̂ lies above exact ρ: lower on ${g.lower}, higher on ${g.higher}; share of ${g.reference}'s gap to ρ closed: median ${fmt(100 * g.medianShare, 1)} %, mean ${fmt(100 * g.meanShare, 1)} % (median ${fmt(100 * g.medianShareWhereLower, 1)} % where lower)`,
  );
for (const t of fixed) console.log(formatFixedEps(t));
// a summary of runs read writes JSON only where asked (--out): its default path belongs to a run
if (!args.summarize || args.out) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ summary, rows }, null, 2)}\n`);
  console.log(`\nJSON: ${out}${args.summarize ? "" : `; per point: ${jsonl}`}`);
}
