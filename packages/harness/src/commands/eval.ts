import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import type { AttackOptions } from "@rho/attacks";
import { boundMethodNames } from "@rho/bounds";
import { bracketShares, type Family, robustnessStats } from "@rho/metrics";
import type { BackendName } from "@rho/models";
import { Piscina } from "piscina";
import { attackOptions, attacksByName, checkTarget, parseTarget } from "../attack-options.js";
import { EXIT_OK, UsageError } from "../errors.js";
import { pointBrackets } from "../eval/brackets.js";
import { failedRow } from "../eval/run-point.js";
import {
  type AttackConfig,
  choosePoints,
  modelHash,
  parseShard,
  RESULTS_FILE,
  type ResultRow,
  RUN_FILE,
  type RunSpec,
  readResults,
  readRun,
  specDifferences,
  splitHash,
} from "../eval/spec.js";
import type { Task, WorkerSetup } from "../eval/worker.js";
import { writeJsonInto } from "../files.js";
import { pct, withInterval } from "../format.js";
import { checkFits, initBackend, loadNetwork, loadSplit, resolveModel } from "../inputs.js";
import { acquireLock } from "../lock.js";
import type { Output } from "../output.js";
import { loadedPlugins, pluginOf } from "../plugins.js";
import { progressBar } from "../progress.js";
import { VERSION } from "../version.js";

export interface EvalOptions {
  model: string;
  dataset: string;
  dataDir?: string;
  split: "train" | "test";
  attacks: string;
  solver?: string;
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
  /** Certifying methods run beside the attacks (comma-separated): each point's bracket. */
  bounds?: string;
  /** Their largest ε and, for milp, its time limit per point. */
  boundEpsMax?: number;
  boundTimeLimit?: number;
  /** Seconds one attack (or bound method) may take on one point before it is stopped: a timeout row. */
  attackTimeLimit?: number;
}

/** The summary of one attack over a run's rows (severity only for minimum-distance attacks). */
export function attackSummary(config: AttackConfig, rows: readonly ResultRow[], eps: number) {
  const s = robustnessStats(rows, eps, { family: config.family as Family });
  const failed = rows.filter((r) => r.status === "error" || r.status === "timeout").length;
  return {
    attack: config.name,
    family: config.family,
    ...s,
    failed,
    seconds: rows.reduce((t, r) => t + r.seconds, 0),
  };
}

/** `rho eval`: every attack on every chosen point, streamed to results.jsonl, then φ̂ and μ̂ per attack. */
export async function evalCommand(o: EvalOptions, out: Output): Promise<number> {
  const attacks = attacksByName(
    o.attacks
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
  if (!(o.workers >= 1)) throw new UsageError(`--workers must be at least 1, got ${o.workers}`);
  const shard = o.shard === undefined ? null : parseShard(o.shard);
  const target = parseTarget(o.target);
  const boundNames = (o.bounds ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  for (const b of boundNames) {
    if (!boundMethodNames().includes(b))
      throw new UsageError(`unknown bound method "${b}"; known: ${boundMethodNames().join(", ")}`);
    if (attacks.some((a) => a.name === b))
      throw new UsageError(`"${b}" names both an attack and a bound method`);
  }
  if (new Set(boundNames).size !== boundNames.length) throw new UsageError("a bound method is named twice");
  const boundOptions = { epsMax: o.boundEpsMax ?? 64, tolerance: 0.01, timeLimit: o.boundTimeLimit ?? 60 };
  const options = attackOptions(attacks, {
    named: { solver: o.solver },
    ...(o.opt ? { pairs: o.opt } : {}),
    target,
    eps: o.eps,
  });
  const modelDir = resolveModel(o.model);
  const net = await loadNetwork(o.model);
  checkTarget(target, net.outputSize);
  const data = loadSplit(o.dataset, o.split, o.dataDir);
  checkFits(net, data);
  const points = choosePoints(data.count, o.points, o.sample ?? null, shard);
  const spec: RunSpec = {
    rho: VERSION,
    model: { path: o.model, sha256: await modelHash(modelDir) },
    dataset: {
      name: o.dataset,
      split: o.split,
      sha256: splitHash(data.images, data.labels),
      dataDir: o.dataDir ? resolve(o.dataDir) : null,
    },
    attacks: [
      ...attacks.map((a, i) => {
        const plugin = pluginOf(a.name);
        return {
          name: a.name,
          family: a.family,
          options: options[i] as Record<string, unknown>,
          ...(plugin ? { plugin } : {}),
        };
      }),
      ...boundNames.map((name) => ({ name, family: "bound" as const, options: boundOptions })),
    ],
    target,
    eps: o.eps,
    points,
    pointsRequested: o.points,
    sample: o.sample ?? null,
    shard: o.shard ?? null,
  };

  const dir = resolve(o.out);
  const runFile = join(dir, RUN_FILE);
  const resultsFile = join(dir, RESULTS_FILE);
  if (existsSync(runFile) && !o.resume)
    throw new UsageError(`${o.out} already holds a run: --resume continues it, or choose a new --out`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot write to ${o.out}: ${(e as Error).message}`);
  }
  const release = acquireLock(dir, o.out);
  const bar = progressBar("eval");
  try {
    if (existsSync(runFile)) {
      const old = readRun(dir).spec;
      const diff = specDifferences(old, spec);
      if (diff.length)
        throw new UsageError(
          `--resume: ${o.out} holds a different run (${diff.join("; ")}); choose another --out, or remove that directory to start over`,
        );
    } else writeJsonInto(dir, RUN_FILE, spec, o.out);
    const done = readResults(resultsFile);
    const key = (attack: string, index: number) => `${attack}#${index}`;
    const finished = new Set(done.map((r) => key(r.attack, r.index)));
    // rewritten from the rows read: a partial last line goes, and so does a repeated row
    writeFileSync(resultsFile, done.map((r) => `${JSON.stringify(r)}\n`).join(""));
    const todo = points.flatMap((index) =>
      [
        ...attacks.map((a, i) => ({
          attack: a.name,
          index,
          options: options[i] as AttackOptions,
          bound: false,
        })),
        ...boundNames.map((b) => ({ attack: b, index, options: boundOptions as AttackOptions, bound: true })),
      ].filter((t) => !finished.has(key(t.attack, t.index))),
    );
    if (done.length) out.info(`resuming: ${done.length} results kept, ${todo.length} to go`);

    bar.start(todo.length, 0, { status: "" });
    const record = (row: ResultRow) => {
      appendFileSync(resultsFile, `${JSON.stringify(row)}\n`);
      done.push(row);
      bar.increment(1, { status: `${row.attack} #${row.index}: ${row.status}` });
    };
    await initBackend(o.backend, out); // refuses an unknown backend before any worker starts
    const setup: WorkerSetup = {
      modelDir,
      dataset: o.dataset,
      split: o.split,
      ...(o.dataDir ? { dataDir: o.dataDir } : {}),
      backend: o.backend,
      plugins: loadedPlugins,
    };
    // Every attack runs in a worker thread, even with one worker: a search that never answers
    // (or busy-loops) is stopped at the time limit by ending its thread, and one that calls
    // process.exit() ends only its thread. Either way the pool starts a fresh worker.
    const pool = new Piscina({
      filename: new URL("../../dist/eval/worker.js", import.meta.url).href,
      minThreads: o.workers,
      maxThreads: o.workers,
    });
    const limit = o.attackTimeLimit ?? DEFAULT_ATTACK_TIME_LIMIT;
    try {
      let next = 0;
      // one lane per worker, so a task's clock starts when a worker takes it, not in the queue
      const lane = async () => {
        while (next < todo.length) {
          const t = todo[next++] as (typeof todo)[number];
          let row: ResultRow;
          const t0 = performance.now();
          try {
            row = (await pool.run({ setup, ...t } satisfies Task, {
              signal: AbortSignal.timeout(limit * 1000),
            })) as ResultRow;
          } catch (e) {
            row =
              (e as Error).name === "AbortError"
                ? {
                    ...failedRow(
                      data,
                      t.attack,
                      t.index,
                      `no answer within --attack-time-limit ${limit} s: stopped, its worker replaced`,
                    ),
                    status: "timeout",
                    seconds: (performance.now() - t0) / 1000,
                  }
                : // a worker that failed outside the attack (it could not load, or exited): a failed row
                  failedRow(data, t.attack, t.index, `worker: ${(e as Error).message}`);
          }
          record(row);
        }
      };
      await Promise.all(Array.from({ length: Math.min(o.workers, todo.length) }, lane));
    } finally {
      await pool.destroy();
    }
    bar.stop();

    const chosen = new Set(points);
    const summary = spec.attacks
      .filter((config) => config.family !== "bound")
      .map((config) =>
        attackSummary(
          config,
          done.filter((r) => r.attack === config.name && chosen.has(r.index)),
          o.eps,
        ),
      );
    const bracket = boundNames.length
      ? bracketShares(
          pointBrackets(
            spec,
            done.filter((r) => chosen.has(r.index)),
          ),
          o.eps,
        )
      : undefined;
    if (o.json) out.json({ out: o.out, spec, summary, ...(bracket ? { bracket } : {}) });
    else {
      out.line(
        `${o.model} on ${o.dataset} ${o.split}, ${points.length} points, ε = ${o.eps}: results in ${o.out}/${RESULTS_FILE}`,
      );
      for (const s of summary)
        out.line(
          `${s.attack.padEnd(9)} accuracy ${pct(s.accuracy.value)}  frequency ${withInterval(s.frequency, "pct")}  ` +
            (s.family === "fixed-epsilon"
              ? "severity — (fixed-ε attack)  "
              : `severity ${withInterval(s.severity, "px")} px  `) +
            `(${s.adversarial} of ${s.correct} correct points; ${s.misclassified} misclassified` +
            `${s.failed ? `; ${s.failed} failed (error or timeout)` : ""})`,
        );
      if (bracket)
        out.line(
          `bracket (${boundNames.join(", ")} and every attack) at ε = ${o.eps}: certified robust ${withInterval(bracket.certified, "pct")}, ` +
            `proven non-robust ${withInterval(bracket.nonRobust, "pct")}, unknown ${withInterval(bracket.unknown, "pct")} of ${bracket.correct} correct points` +
            (bracket.conflicting
              ? `; ${bracket.conflicting} point(s) with a verified example inside a certified radius: a bound method is unsound there`
              : ""),
        );
    }
    return EXIT_OK;
  } finally {
    bar.stop();
    release();
  }
}

/**
 * An attack's time on one point before eval stops it (seconds): generous for honest attacks (alp-walk
 * took 779 s on a NiN-sized point), finite so that a search that never answers cannot hang a run.
 */
export const DEFAULT_ATTACK_TIME_LIMIT = 3600;

export const defaultWorkers = (): number => Math.max(1, cpus().length);
