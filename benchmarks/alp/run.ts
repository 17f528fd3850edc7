// Benchmark: the ALP attack on the shipped LeNet (first N MNIST test points) with each LP solver,
// iterative constraint solving vs the full LP, and on a NiN-sized network. One point at a time on
// one core. Prints a table and writes JSON; every point's result also streams to a JSONL file.
// Run: npm run bench:alp -- --help
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  type AlpOptions,
  type AttackResult,
  type FormulationName,
  getAttack,
  PixelFormulation,
  pickTargets,
  tfjsContext,
} from "@rho/attacks";
import { concatRows, minLinfProgram } from "@rho/constraints";
import { image, loadDataset } from "@rho/datasets";
import { formulationSizes, LinearRegion } from "@rho/encoders";
import { argmax, loadModel, type Network, nin, prng, useBackend } from "@rho/models";
import { getSolver, solverNames } from "@rho/solvers";
import { parseAttackSpecs } from "../attack-specs.js";
import { appendJsonl, jsonlFile, readJsonl, startJsonl } from "../jsonl.js";
import { median, quantile } from "../stats.js";

const { values: args } = parseArgs({
  options: {
    points: { type: "string", default: "100" },
    model: { type: "string", default: "lenet" },
    formulations: { type: "string", default: "auto" },
    "formulation-points": { type: "string", default: "3" },
    solvers: { type: "string", default: "highs,glpk" },
    "full-points": { type: "string", default: "10" },
    "nin-points": { type: "string", default: "1" },
    "nin-alp": { type: "string", default: "0" },
    "nin-attacks": { type: "string", default: "alp" },
    "nin-model": { type: "string" },
    "data-dir": { type: "string" },
    "time-limit": { type: "string", default: "300" },
    out: { type: "string", default: "benchmarks/alp/out/alp.json" },
    summarize: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:alp -- [options]
  --model M         lenet, mlp (the shipped models) or a model directory (default lenet)
  --points N        the first N MNIST test points, iterative solving (default 100)
  --full-points N   the first N points also with the full LP, for the speed-up (default 10; 0: skip)
  --formulations F  region LP formulations, comma-separated: auto, pixels, hidden (default auto);
                    the first runs on --points, the others on --formulation-points
  --formulation-points N  points for the formulations after the first (default 3: hidden on LeNet
                    takes minutes a point)
  --solvers a,b     LP solvers (default highs,glpk; jslp cannot handle LeNet-sized LPs)
  --nin-points N    NiN-sized network (seeded init, CIFAR-10 shape, seeded random pixels): time the parts
                    of ALP's first two rounds on N points (default 1; 0: skip)
  --nin-alp N       the LP attacks end to end on the first N of those NiN points (default 0; minutes a point)
  --nin-model DIR   a trained NiN (e.g. models/nin-cifar10) instead of the seeded one: its points are
                    the first CIFAR-10 test images it classifies correctly (needs --data-dir)
  --data-dir DIR    the CIFAR-10 binary files (for --nin-model)
  --nin-attacks S   which, as attack specs (default alp; e.g. alp,alp-walk:descent=false); options as given,
                    the rest their defaults
  --time-limit S    per-LP time limit in seconds (default 300)
  --out FILE        JSON output; per-point results stream to FILE with .jsonl (default benchmarks/alp/out/alp.json)
  --summarize F     print the table from a per-point JSONL file (e.g. of a run that was stopped) and exit`);
  process.exit(0);
}
const solvers = args.solvers.split(",");
for (const s of solvers)
  if (!solverNames().includes(s)) {
    console.error(`unknown solver "${s}"; known: ${solverNames().join(", ")}`);
    process.exit(2);
  }
const points = Number(args.points);
const formulations = args.formulations.split(",") as FormulationName[];
for (const f of formulations)
  if (!["auto", "pixels", "hidden"].includes(f)) {
    console.error(`unknown formulation "${f}"; known: auto, pixels, hidden`);
    process.exit(2);
  }
const formulationPoints = Number(args["formulation-points"]);
const fullPoints = Number(args["full-points"]);
const ninPoints = Number(args["nin-points"]);
let ninCache: Network | undefined; // ninNet's
const timeLimit = Number(args["time-limit"]);
const ninSpecs = parseAttackSpecs(args["nin-attacks"]);
const jsonl = args.summarize ? jsonlFile(args.out) : startJsonl(args.out);

await useBackend("wasm");
const root = fileURLToPath(new URL("../..", import.meta.url));
const shipped: Record<string, string> = { lenet: "models/lenet-mnist", mlp: "models/mlp-mnist" };
const modelName =
  args.model in shipped ? args.model : (args.model.replace(/\/+$/, "").split("/").at(-1) as string);
const model = await loadModel(resolve(root, shipped[args.model] ?? args.model));
const mnist = loadDataset("mnist", "test");

interface Row {
  model: string;
  solver: string;
  mode: "iterative" | "full";
  /** The formulation asked for, and the one used ("auto" resolves per network). */
  formulation: string;
  used: string;
  index: number;
  status: AttackResult["status"];
  rho: number | null;
  seconds: number;
  ties: number;
  regionRows: number;
  regionRowsUsed: number;
  rounds: number;
  /** Seconds inside the LP solver, all rounds. */
  lpSeconds: number;
  iterations: number | null;
}

async function runCell(
  model: string,
  net: Network,
  pixelsOf: (i: number) => ArrayLike<number>,
  labelOf: (i: number) => number,
  count: number,
  solver: string,
  mode: "iterative" | "full",
  formulation: FormulationName,
): Promise<Row[]> {
  const ctx = await tfjsContext(net);
  const alp = getAttack("alp");
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    const opts: AlpOptions = { solver, iterative: mode === "iterative", timeLimit, formulation };
    const r = await alp.run(ctx, { pixels: pixelsOf(i), label: labelOf(i), index: i }, opts);
    const t = (
      r.diagnostics.perTarget as
        | { regionRowsUsed: number; rounds: number; lpSeconds: number; iterations?: number }[]
        | undefined
    )?.[0];
    const row: Row = {
      model,
      solver,
      mode,
      formulation,
      used: (r.diagnostics.formulation as string) ?? formulation,
      index: i,
      status: r.status,
      rho: Number.isFinite(r.rho) ? r.rho : null,
      seconds: r.seconds,
      ties: (r.diagnostics.ties as number) ?? 0,
      regionRows: (r.diagnostics.regionRows as number) ?? 0,
      regionRowsUsed: t?.regionRowsUsed ?? 0,
      rounds: t?.rounds ?? 0,
      lpSeconds: t?.lpSeconds ?? 0,
      iterations: t?.iterations ?? null,
    };
    rows.push(row);
    appendJsonl(jsonl, row);
    process.stderr.write(
      `${model} ${solver} ${mode} ${row.used} #${i}: ${r.status} ρ̂=${row.rho?.toFixed(3) ?? "∞"} ${r.seconds.toFixed(2)} s (LP ${row.lpSeconds.toFixed(2)} s, ${row.iterations ?? "?"} iterations), rows ${row.regionRowsUsed}/${row.regionRows}, ties ${row.ties}\n`,
    );
  }
  return rows;
}

// a JSONL file holds the MNIST points' rows and, tagged "nin", the NiN attacks' rows
const saved = args.summarize ? readJsonl<Row | { nin: Record<string, unknown> }>(args.summarize) : [];
const all: Row[] = saved.filter((r): r is Row => !("nin" in r));
const mnistPixels = (i: number) => image(mnist, i);
const mnistLabel = (i: number) => mnist.labels[i] as number;
for (const solver of args.summarize ? [] : solvers) {
  const [first, ...others] = formulations as [FormulationName, ...FormulationName[]];
  all.push(...(await runCell(modelName, model, mnistPixels, mnistLabel, points, solver, "iterative", first)));
  if (fullPoints > 0)
    all.push(
      ...(await runCell(modelName, model, mnistPixels, mnistLabel, fullPoints, solver, "full", first)),
    );
  for (const f of others)
    all.push(
      ...(await runCell(
        modelName,
        model,
        mnistPixels,
        mnistLabel,
        formulationPoints,
        solver,
        "iterative",
        f,
      )),
    );
}
/**
 * NiN's shape with seeded Glorot weights (no CIFAR-10 here to train on) on seeded random pixels:
 * a full ALP run takes far too long here, so this measures its parts — building the region,
 * one check of every region inequality, the target rows, the first LP, and the rows that LP's
 * solution violates (the next round's work) — and projects the first two rounds from them.
 */
async function ninProbe(count: number, solverName: string): Promise<Record<string, number>[]> {
  const net = await ninNet();
  const solver = await getSolver(solverName);
  const out: Record<string, number>[] = [];
  for (const [p, px] of ninPixels(net, count).entries()) {
    const logits = net.forward64(px).logits;
    const label = argmax(logits);
    const [target] = pickTargets(logits, label, "second");
    let t = performance.now();
    const region = new LinearRegion(net, px);
    const regionSeconds = (performance.now() - t) / 1000;
    const sizes = formulationSizes(region);
    // the target rows as alp builds them (one reverse pass), then one by one on a fresh region
    t = performance.now();
    const targetRows = new PixelFormulation(region).targetRows(target as number, 1e-3);
    const targetRowsSeconds = (performance.now() - t) / 1000;
    const fresh = new LinearRegion(net, px);
    t = performance.now();
    for (let j = 0; j < net.outputSize; j++)
      if (j !== target) fresh.combination(net.layers.length, [target as number, j], [1, -1]);
    const targetRowsOneByOneSeconds = (performance.now() - t) / 1000;
    const norm = minLinfProgram(region.center, [0, 255]);
    const lp = { ...norm, rows: concatRows(norm.rows, targetRows) };
    const first = await solver.solve(lp);
    t = performance.now();
    const { values } = region.evaluate((first.primal as Float64Array).subarray(0, net.inputSize));
    const evaluateSeconds = (performance.now() - t) / 1000;
    const violated: number[] = [];
    values.forEach((v, k) => {
      if (v < -1e-7) violated.push(k);
    });
    const sample = violated
      .filter((_, i) => i % Math.max(1, Math.floor(violated.length / 20)) === 0)
      .slice(0, 20);
    t = performance.now();
    region.rows(sample);
    const rowSeconds = sample.length ? (performance.now() - t) / 1000 / sample.length : 0;
    const row = {
      point: p,
      regionRows: region.size,
      ties: region.ties,
      pixelNonzeros: sizes.pixelNonzeros,
      hiddenNonzeros: sizes.hiddenNonzeros,
      regionSeconds,
      targetRowsSeconds,
      targetRowsOneByOneSeconds,
      firstLpSeconds: first.seconds,
      evaluateSeconds,
      violatedAfterFirstLp: violated.length,
      secondsPerViolatedRow: rowSeconds,
      projectedSecondsTwoRounds:
        regionSeconds + targetRowsSeconds + first.seconds + evaluateSeconds + rowSeconds * violated.length,
    };
    process.stderr.write(`nin probe #${p}: ${JSON.stringify(row)}\n`);
    out.push(row);
  }
  return out;
}
const ninRows = ninPoints > 0 && !args.summarize ? await ninProbe(ninPoints, solvers[0] as string) : [];

/** The NiN measured: the trained one of --nin-model, else NiN's shape with seeded weights. */
async function ninNet(): Promise<Network> {
  if (!ninCache) ninCache = args["nin-model"] ? await loadModel(resolve(args["nin-model"])) : nin(1);
  return ninCache;
}

/**
 * The NiN points: with --nin-model, the first CIFAR-10 test images the model classifies correctly;
 * else seeded random pixels (the probe's and alp's).
 */
function ninPixels(net: Network, count: number): Float64Array[] {
  if (args["nin-model"]) {
    if (!args["data-dir"]) throw new Error("--nin-model needs --data-dir (the CIFAR-10 binary files)");
    const test = loadDataset("cifar10", "test", args["data-dir"]);
    const out: Float64Array[] = [];
    for (let i = 0; i < test.labels.length && out.length < count; i++) {
      const px = Float64Array.from(image(test, i));
      if (net.predict64(px) === test.labels[i]) out.push(px);
    }
    return out;
  }
  const rand = prng(7);
  return Array.from({ length: count }, () =>
    Float64Array.from({ length: net.inputSize }, () => Math.floor(rand() * 256)),
  );
}

/** The LP attacks end to end on NiN points, with their defaults (the solver and the spec's options aside). */
async function ninAttacks(count: number, solverName: string): Promise<Record<string, unknown>[]> {
  const net = await ninNet();
  const out: Record<string, unknown>[] = [];
  for (const spec of ninSpecs) {
    const attack = getAttack(spec.name);
    for (const [p, px] of ninPixels(net, count).entries()) {
      const r = await attack.run(
        { net },
        { pixels: px, label: net.predict64(px) },
        { solver: solverName, ...spec.opts },
      );
      // alp's LP; alp-walk's diagnostics name its LPs per target instead
      const t = (r.diagnostics.perTarget as Record<string, unknown>[] | undefined)?.[0] ?? {};
      const row = {
        attack: spec.label,
        point: p,
        status: r.status,
        rho: Number.isFinite(r.rho) ? r.rho : null,
        seconds: r.seconds,
        lpSeconds: t.lpSeconds ?? null,
        rounds: t.rounds ?? null,
        regionRowsUsed: t.regionRowsUsed ?? null,
        regionRows: r.diagnostics.regionRows ?? null,
        maxEps: r.diagnostics.maxEps ?? null,
        regionsVisited: r.diagnostics.regionsVisited ?? null,
        lpsSolved: r.diagnostics.lpsSolved ?? null,
        message: r.diagnostics.message ?? null,
        // the process's peak resident memory so far (MiB)
        peakMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      };
      process.stderr.write(`nin ${spec.label} #${p}: ${JSON.stringify(row)}\n`);
      appendJsonl(jsonl, { nin: row });
      out.push(row);
    }
  }
  return out;
}
const ninAttackRows = args.summarize
  ? saved.flatMap((r) => ("nin" in r ? [r.nin] : []))
  : Number(args["nin-alp"]) > 0
    ? await ninAttacks(Number(args["nin-alp"]), solvers[0] as string)
    : [];

interface Summary {
  model: string;
  solver: string;
  mode: string;
  formulation: string;
  medianLpSeconds: number;
  points: number;
  attacked: number;
  adversarial: number;
  notFound: number;
  other: number;
  medianSeconds: number;
  p90Seconds: number;
  medianRowsUsed: number;
  regionRows: number;
  medianTies: number;
}
const groups = new Map<string, Row[]>();
for (const r of all) {
  const k = `${r.model}|${r.solver}|${r.mode}|${r.formulation}`;
  groups.set(k, [...(groups.get(k) ?? []), r]);
}
const summary: Summary[] = [...groups.values()].map((rows) => {
  const attacked = rows.filter((r) => r.status !== "misclassified");
  return {
    model: rows[0]?.model as string,
    solver: rows[0]?.solver as string,
    mode: rows[0]?.mode as string,
    formulation: [...new Set(rows.map((r) => (r.formulation === "auto" ? `auto → ${r.used}` : r.used)))].join(
      ", ",
    ),
    medianLpSeconds: median(attacked.map((r) => r.lpSeconds ?? Number.NaN)),
    points: rows.length,
    attacked: attacked.length,
    adversarial: rows.filter((r) => r.status === "adversarial").length,
    notFound: rows.filter((r) => r.status === "not_found").length,
    other: attacked.filter((r) => r.status !== "adversarial" && r.status !== "not_found").length,
    medianSeconds: median(attacked.map((r) => r.seconds)),
    p90Seconds: quantile(
      attacked.map((r) => r.seconds),
      0.9,
    ),
    medianRowsUsed: median(attacked.map((r) => r.regionRowsUsed)),
    regionRows: median(attacked.map((r) => r.regionRows)),
    medianTies: median(attacked.map((r) => r.ties)),
  };
});
const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "—");
console.log(
  "\n| model | solver | mode | formulation | points | adversarial | no example in region | error/unverified | median s | p90 s | median LP s | median region rows used / total | median ties |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const s of summary)
  console.log(
    `| ${s.model} | ${s.solver} | ${s.mode} | ${s.formulation} | ${s.points} (${s.attacked} attacked) | ${s.adversarial} | ${s.notFound} | ${s.other} | ${fmt(s.medianSeconds)} | ${fmt(s.p90Seconds)} | ${fmt(s.medianLpSeconds)} | ${fmt(s.medianRowsUsed, 0)} / ${fmt(s.regionRows, 0)} | ${fmt(s.medianTies, 0)} |`,
  );
for (const solver of new Set(all.map((r) => r.solver))) {
  const full = all.filter((r) => r.solver === solver && r.mode === "full" && r.status !== "misclassified");
  const same = new Set(full.map((r) => r.index));
  const it = all.filter(
    (r) =>
      r.solver === solver && r.mode === "iterative" && r.formulation === formulations[0] && same.has(r.index),
  );
  if (it.length && full.length)
    console.log(
      `${solver}: full LP / iterative on the same ${full.length} points: median ${fmt(median(full.map((r) => r.seconds)) / median(it.map((r) => r.seconds)), 1)}×`,
    );
}
for (const r of ninRows)
  console.log(
    `NiN-sized (seeded init) #${r.point}: ${r.regionRows} region rows, ${r.ties} ties; ` +
      `LP nonzeros (estimated): ${fmt((r.pixelNonzeros as number) / 1e6, 0)} M over the pixels, ${fmt((r.hiddenNonzeros as number) / 1e6, 0)} M over hidden variables; ` +
      `region ${fmt(r.regionSeconds as number)} s, ` +
      `target rows ${fmt(r.targetRowsSeconds as number)} s in one pass (${fmt(r.targetRowsOneByOneSeconds as number)} s one by one), first LP ${fmt(r.firstLpSeconds as number)} s, ` +
      `${r.violatedAfterFirstLp} rows violated after it at ${fmt(r.secondsPerViolatedRow as number)} s each: ` +
      `≥ ${fmt(r.projectedSecondsTwoRounds as number, 0)} s before the second LP`,
  );
for (const label of new Set(ninAttackRows.map((r) => r.attack as string))) {
  const mine = ninAttackRows.filter((r) => r.attack === label);
  const secs = mine.map((r) => r.seconds as number);
  const detail = (r: Record<string, unknown>) =>
    r.lpSeconds !== null
      ? `LP ${fmt(r.lpSeconds as number, 0)} s, ${r.regionRowsUsed} of ${r.regionRows} region rows`
      : `${r.regionsVisited} regions walked, ${r.lpsSolved} LPs`;
  console.log(
    `NiN-sized ${label} end to end on ${mine.length} points: ${mine.map((r) => `${r.status}${r.rho !== null ? ` ρ̂=${fmt(r.rho as number)}` : ""} ${fmt(r.seconds as number, 0)} s (${detail(r)})`).join("; ")}; median ${fmt(median(secs), 0)} s`,
  );
}
if (!args.summarize)
  writeFileSync(
    args.out,
    `${JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, node: process.version, args, summary, points: all, nin: ninRows, ninAlp: ninAttackRows }, null, 2)}\n`,
  );
if (!args.summarize) console.log(`\nJSON: ${args.out}; per point: ${jsonl}`);
