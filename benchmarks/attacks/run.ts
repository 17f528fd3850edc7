// Benchmark: every attack on a model (the shipped LeNet by default) over the first N test points:
// seconds per point, how many points each finds adversarial at ε, and the severity of those. One
// point at a time on one core, every attack on a point before the next point. Prints a table and
// writes JSON; per-point results stream to a JSONL file.
// Run: npm run bench:attacks -- --help
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { getAttack, tfjsContext } from "@rho/attacks";
import { image, loadDataset } from "@rho/datasets";
import { loadModel, useBackend } from "@rho/models";
import { parseAttackSpecs } from "../attack-specs.js";
import { appendJsonl, jsonlFile, readJsonl, startJsonl } from "../jsonl.js";
import { benchmarkModel } from "../models.js";
import { median, quantile } from "../stats.js";

const { values: args } = parseArgs({
  options: {
    attacks: { type: "string", default: "alp,alp-walk,lbfgs,lbfgs:norm=l2,fgsm,pgd" },
    model: { type: "string", default: "lenet" },
    dataset: { type: "string", default: "mnist" },
    "data-dir": { type: "string" },
    points: { type: "string", default: "100" },
    eps: { type: "string", default: "20" },
    out: { type: "string", default: "benchmarks/attacks/out/attacks.json" },
    summarize: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:attacks -- [options]
  --attacks a,b:k=v   attacks, each with options after a colon (k=v, joined by +), e.g. lbfgs:norm=l2+cSteps=8
                      (default alp,alp-walk,lbfgs,lbfgs:norm=l2,fgsm,pgd)
  --model M|DIR       a shipped model (lenet, the default; mlp, nin) or a model directory
  --dataset D         mnist (default) or cifar10; --data-dir DIR where its files are (CIFAR-10 has none built in)
  --points N          the first N test points (default 100)
  --eps E             ε in pixels for the frequency column (default 20; also fgsm's step)
  --out FILE          JSON output; per-point results stream to FILE with .jsonl
  --summarize F       print the table from a per-point JSONL file (e.g. of a run that was stopped) and exit`);
  process.exit(0);
}
const eps = Number(args.eps);
const points = Number(args.points);
const specs = parseAttackSpecs(args.attacks, (attack) => (attack.family === "fixed-epsilon" ? { eps } : {}));
const jsonl = args.summarize ? jsonlFile(args.out) : startJsonl(args.out);

await useBackend("wasm");
const net = await loadModel(benchmarkModel(args.model).dir);
const data = loadDataset(args.dataset, "test", args["data-dir"]);
const ctx = await tfjsContext(net);

interface Row {
  attack: string;
  index: number;
  status: string;
  rho: number | null;
  seconds: number;
  rounded: boolean | null;
  /** Region descent steps taken (null: no descent). */
  descentSteps?: number | null;
  /** ρ̂ before descent and after each step, and the descent's seconds (absent: no descent). */
  descentRho?: number[];
  descentSeconds?: number;
  descentStop?: string;
}
const rows: Row[] = args.summarize ? readJsonl<Row>(args.summarize) : [];
const point = (i: number) => ({ pixels: image(data, i), label: data.labels[i] as number, index: i });
const attacks = specs.map((spec) => ({ spec, attack: getAttack(spec.name) }));
// Each attack once on point 0 first, unrecorded: whichever ran first used to pay the JIT's and the
// backend's warm-up (alp-walk with descent measured 1.58× without it when run first, 1.36× when
// second). Then point by point, the attacks' order rotated each point, so neither order nor the
// machine's load drifting over the run favours one attack in the per-point ratios.
if (!args.summarize) for (const { spec, attack } of attacks) await attack.run(ctx, point(0), spec.opts);
for (let i = 0; i < (args.summarize ? 0 : points); i++) {
  for (let k = 0; k < attacks.length; k++) {
    const { spec, attack } = attacks[(i + k) % attacks.length] as (typeof attacks)[number];
    const r = await attack.run(ctx, point(i), spec.opts);
    const descent = r.diagnostics.descent as
      | { steps: number; rho: number[]; seconds: number; stop: string }
      | undefined;
    const row: Row = {
      attack: spec.label,
      index: i,
      status: r.status,
      rho: Number.isFinite(r.rho) ? r.rho : null,
      seconds: r.seconds,
      rounded: r.verified ? r.verified.rounded : null,
      descentSteps: descent?.steps ?? null,
      ...(descent
        ? { descentRho: descent.rho, descentSeconds: descent.seconds, descentStop: descent.stop }
        : {}),
    };
    rows.push(row);
    appendJsonl(jsonl, row);
    process.stderr.write(
      `${spec.label} #${i}: ${r.status} ρ̂=${row.rho?.toFixed(2) ?? "∞"} ${r.seconds.toFixed(2)} s\n`,
    );
  }
}

const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "—");
const summary = [...new Set(rows.map((r) => r.attack))].map((label) => {
  const mine = rows.filter((r) => r.attack === label);
  const attacked = mine.filter((r) => r.status !== "misclassified");
  const within = attacked.filter((r) => r.rho !== null && r.rho <= eps + 1e-9);
  const found = attacked.filter((r) => r.rho !== null);
  return {
    attack: label,
    points: mine.length,
    attacked: attacked.length,
    adversarialAnyDistance: found.length,
    adversarialAtEps: within.length,
    severityAtEps: within.length ? within.reduce((s, r) => s + (r.rho as number), 0) / within.length : null,
    medianRho: found.length ? median(found.map((r) => r.rho as number)) : null,
    roundedStillAdversarial: found.filter((r) => r.rounded).length,
    unverified: attacked.filter((r) => r.status === "unverified").length,
    errors: attacked.filter((r) => r.status === "error").length,
    medianSeconds: median(attacked.map((r) => r.seconds)),
    // the mean is what a long run's total follows (rho reproduce's estimate)
    meanSeconds: attacked.reduce((t, r) => t + r.seconds, 0) / attacked.length,
    // attacks that stop early without an example have two populations of times: show both
    medianSecondsFound: found.length ? median(found.map((r) => r.seconds)) : null,
    medianSecondsNotFound:
      found.length < attacked.length
        ? median(attacked.filter((r) => r.rho === null).map((r) => r.seconds))
        : null,
    p90Seconds: quantile(
      attacked.map((r) => r.seconds),
      0.9,
    ),
  };
});
console.log(
  `\n| attack | points (attacked) | adversarial at ε = ${eps} | severity at ε (pixels) | adversarial at any ρ̂ | median ρ̂ | rounded still adversarial | unverified / errors | median s | mean s | p90 s | median s with / without example |`,
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const s of summary)
  console.log(
    `| ${s.attack} | ${s.points} (${s.attacked}) | ${s.adversarialAtEps} | ${fmt(s.severityAtEps ?? Number.NaN)} | ${s.adversarialAnyDistance} | ${fmt(s.medianRho ?? Number.NaN)} | ${s.roundedStillAdversarial} | ${s.unverified} / ${s.errors} | ${fmt(s.medianSeconds)} | ${fmt(s.meanSeconds)} | ${fmt(s.p90Seconds)} | ${fmt(s.medianSecondsFound ?? Number.NaN)} / ${fmt(s.medianSecondsNotFound ?? Number.NaN)} |`,
  );
// The same attack under other options, against its first spec: ρ̂ over the points both find, time.
const pairs: Record<string, unknown>[] = [];
for (const name of new Set(specs.map((s) => s.name))) {
  const labels = [...new Set(rows.map((r) => r.attack))].filter((l) => l.split(":")[0] === name);
  const [ref, ...others] = labels;
  for (const other of others) {
    const a = new Map(rows.filter((r) => r.attack === ref && r.rho !== null).map((r) => [r.index, r]));
    const both = rows.filter((r) => r.attack === other && r.rho !== null && a.has(r.index));
    if (!both.length) continue;
    const ratio = median(both.map((r) => (r.rho as number) / (a.get(r.index)?.rho as number)));
    const secs = (l: string) =>
      rows.filter((r) => r.attack === l && r.status !== "misclassified").map((r) => r.seconds);
    // descent paths: the other spec's, or the reference's where only it descended (alp-walk
    // against alp-walk:descent=false), each against the other side's ρ̂
    const b = new Map(both.map((r) => [r.index, r]));
    const hasPath = (r: Row) => Boolean(r.descentRho?.length);
    const descended = both.some(hasPath)
      ? both.filter(hasPath)
      : both.map((r) => a.get(r.index) as Row).filter(hasPath);
    const plainRho = (r: Row) => ((r.attack === ref ? b : a).get(r.index)?.rho as number) ?? Number.NaN;
    const steps = descended.map((r) => r.descentSteps as number);
    const pair = {
      reference: ref,
      other,
      bothFind: both.length,
      medianRhoRatio: ratio,
      medianDescentSteps: steps.length ? median(steps) : null,
      medianSecondsRatio: median(secs(other as string)) / median(secs(ref as string)),
      p90SecondsRatio: quantile(secs(other as string), 0.9) / quantile(secs(ref as string), 0.9),
    };
    // what a smaller step cap would have given: the ratio after k steps (a path that stopped keeps its end)
    const longest = Math.max(0, ...descended.map((r) => (r.descentRho as number[]).length - 1));
    const afterSteps = Array.from({ length: longest }, (_, k) => ({
      steps: k + 1,
      medianRhoRatio: median(
        descended.map((r) => {
          const p = r.descentRho as number[];
          return (p[Math.min(k + 1, p.length - 1)] as number) / plainRho(r);
        }),
      ),
    }));
    // every step solves one LP, and a descent that stopped early solved one more that it did not keep
    const lps = (r: Row) => (r.descentSteps as number) + (r.descentStop === "steps" ? 0 : 1);
    const stepSeconds = descended.length
      ? median(descended.map((r) => (r.descentSeconds as number) / lps(r)))
      : null;
    pairs.push({ ...pair, afterSteps, medianSecondsPerDescentLp: stepSeconds });
    console.log(
      `${other} against ${ref}: on the ${both.length} points both find, median ρ̂ ratio ${fmt(ratio, 3)}` +
        `${steps.length ? `, median descent steps ${fmt(median(steps), 0)}` : ""}; seconds ×${fmt(pair.medianSecondsRatio)} (median), ×${fmt(pair.p90SecondsRatio)} (p90)`,
    );
    if (afterSteps.length)
      console.log(
        `  median ρ̂ ratio after 1..${longest} steps: ${afterSteps.map((s) => fmt(s.medianRhoRatio, 3)).join(", ")}` +
          `; median seconds per descent LP ${fmt(stepSeconds ?? Number.NaN)}`,
      );
  }
}
if (!args.summarize)
  writeFileSync(
    args.out,
    `${JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, node: process.version, args, summary, pairs, points: rows }, null, 2)}\n`,
  );
if (!args.summarize) console.log(`\nJSON: ${args.out}; per point: ${jsonl}`);
