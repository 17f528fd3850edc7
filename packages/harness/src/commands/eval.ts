import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { type AttackOptions, attackNames, tfjsContext } from "@rho/attacks";
import { robustnessStats } from "@rho/metrics";
import type { BackendName } from "@rho/models";
import { Piscina } from "piscina";
import { EXIT_OK, UsageError } from "../errors.js";
import { runPoint } from "../eval/run-point.js";
import {
  choosePoints,
  modelHash,
  parseShard,
  RESULTS_FILE,
  type ResultRow,
  RUN_FILE,
  type RunSpec,
  readResults,
  specDifferences,
  splitHash,
} from "../eval/spec.js";
import type { Task, WorkerSetup } from "../eval/worker.js";
import { writeJsonInto } from "../files.js";
import { pct, withInterval } from "../format.js";
import { checkFits, initBackend, loadNetwork, loadSplit, resolveModel } from "../inputs.js";
import type { Output } from "../output.js";
import { loadedPlugins } from "../plugins.js";
import { progressBar } from "../progress.js";
import { parseOpts, parseTarget } from "./attack.js";

export interface EvalOptions {
  model: string;
  dataset: string;
  dataDir?: string;
  split: "train" | "test";
  attacks: string;
  solver: string;
  target: string;
  points: number;
  sample?: number;
  shard?: string;
  eps: number;
  out: string;
  resume: boolean;
  workers: number;
  opt?: string[];
  backend: BackendName | "auto";
  json: boolean;
}

const VERSION = "0.1.0";

/** `rho eval`: every attack on every chosen point, streamed to results.jsonl, then φ̂ and μ̂ per attack. */
export async function evalCommand(o: EvalOptions, out: Output): Promise<number> {
  const attacks = o.attacks
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const a of attacks)
    if (!attackNames().includes(a))
      throw new UsageError(`unknown attack "${a}"; known attacks: ${attackNames().join(", ")}`);
  if (!(o.workers >= 1)) throw new UsageError(`--workers must be at least 1, got ${o.workers}`);
  const shard = o.shard === undefined ? null : parseShard(o.shard);
  const modelDir = resolveModel(o.model);
  const net = await loadNetwork(o.model);
  const data = loadSplit(o.dataset, o.split, o.dataDir);
  checkFits(net, data);
  const points = choosePoints(data.count, o.points, o.sample ?? null, shard);
  const options: AttackOptions = {
    target: parseTarget(o.target),
    solver: o.solver,
    eps: o.eps,
    ...parseOpts(o.opt),
  };
  const spec: RunSpec = {
    rho: VERSION,
    model: { path: o.model, sha256: modelHash(modelDir) },
    dataset: {
      name: o.dataset,
      split: o.split,
      sha256: splitHash(data.images, data.labels),
      dataDir: o.dataDir ? resolve(o.dataDir) : null,
    },
    attacks: attacks.map((name) => ({ name, options })),
    eps: o.eps,
    points,
    sample: o.sample ?? null,
    shard: o.shard ?? null,
  };

  const dir = resolve(o.out);
  const runFile = join(dir, RUN_FILE);
  const resultsFile = join(dir, RESULTS_FILE);
  if (existsSync(runFile)) {
    if (!o.resume)
      throw new UsageError(`${o.out} already holds a run: --resume continues it, or choose a new --out`);
    const old = JSON.parse(readFileSync(runFile, "utf8")) as RunSpec;
    const diff = specDifferences(old, spec);
    if (diff.length)
      throw new UsageError(
        `--resume: ${o.out} holds a different run (${diff.join(", ")}); choose another --out, or remove that directory to start over`,
      );
  } else writeJsonInto(dir, RUN_FILE, spec, o.out);
  const done = readResults(resultsFile);
  const key = (attack: string, index: number) => `${attack}#${index}`;
  const finished = new Set(done.map((r) => key(r.attack, r.index)));
  // a partial last line is rewritten away so the file stays valid JSONL
  writeFileSync(resultsFile, done.map((r) => `${JSON.stringify(r)}\n`).join(""));
  const todo = points.flatMap((index) =>
    attacks.filter((a) => !finished.has(key(a, index))).map((attack) => ({ attack, index })),
  );
  if (done.length) out.info(`resuming: ${done.length} results kept, ${todo.length} to go`);

  const bar = progressBar("eval");
  bar.start(todo.length, 0, { status: "" });
  const record = (row: ResultRow) => {
    appendFileSync(resultsFile, `${JSON.stringify(row)}\n`);
    done.push(row);
    bar.increment(1, { status: `${row.attack} #${row.index}: ${row.status}` });
  };
  if (o.workers === 1) {
    await initBackend(o.backend, out);
    const ctx = await tfjsContext(net);
    for (const t of todo) record(await runPoint(ctx, data, t.attack, t.index, options));
  } else {
    const setup: WorkerSetup = {
      modelDir,
      dataset: o.dataset,
      split: o.split,
      ...(o.dataDir ? { dataDir: o.dataDir } : {}),
      backend: o.backend,
      plugins: loadedPlugins,
    };
    // workers run the compiled harness (the build runs before tests and with npm ci)
    const pool = new Piscina({
      filename: new URL("../../dist/eval/worker.js", import.meta.url).href,
      minThreads: o.workers,
      maxThreads: o.workers,
    });
    try {
      await Promise.all(
        todo.map(async (t) => record((await pool.run({ setup, ...t, options } satisfies Task)) as ResultRow)),
      );
    } finally {
      await pool.destroy();
    }
  }
  bar.stop();

  const chosen = new Set(points);
  const summary = attacks.map((attack) => {
    const rows = done.filter((r) => r.attack === attack && chosen.has(r.index));
    const s = robustnessStats(rows, o.eps);
    return { attack, ...s, seconds: rows.reduce((t, r) => t + r.seconds, 0) };
  });
  if (o.json) out.json({ out: o.out, spec, summary });
  else {
    out.line(
      `${o.model} on ${o.dataset} ${o.split}, ${points.length} points, ε = ${o.eps}: results in ${o.out}/${RESULTS_FILE}`,
    );
    for (const s of summary)
      out.line(
        `${s.attack.padEnd(9)} accuracy ${pct(s.accuracy.value)}  frequency ${withInterval(s.frequency, "pct")}  ` +
          `severity ${withInterval(s.severity, "px")} px  ` +
          `(${s.adversarial} of ${s.correct} correct points; ${s.misclassified} misclassified)`,
      );
  }
  return EXIT_OK;
}

export const defaultWorkers = (): number => Math.max(1, cpus().length);
