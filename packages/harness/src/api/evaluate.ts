// `evaluate`: every attack (and bound method) on every chosen point of a dataset, streamed to a
// results directory — the run behind `rho eval`, `rho finetune` and `rho reproduce`, callable
// from a program: typed options in, typed results out, progress through callbacks, stopped by an
// AbortSignal, no console output and no process exit.
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AttackOptions } from "@rho/attacks";
import { boundMethodNames } from "@rho/bounds";
import { type BracketShares, bracketShares, type Family, robustnessStats } from "@rho/metrics";
import type { BackendName } from "@rho/models";
import { attacksByName, checkTarget, resolveGiven } from "../attack-options.js";
import { checkBoundMemory } from "../bound-memory.js";
import { UsageError } from "../errors.js";
import { pointBrackets } from "../eval/brackets.js";
import { failedRow } from "../eval/run-point.js";
import {
  type AttackConfig,
  addsAttacks,
  addsPoints,
  choosePoints,
  isShard,
  modelHash,
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
import { checkFits, chooseBackend, loadNetwork, loadSplit, resolveModel } from "../inputs.js";
import { inLanes } from "../lanes.js";
import { acquireLock } from "../lock.js";
import { loadedPlugins, pluginOf } from "../plugins.js";
import { VERSION } from "../version.js";

/** An attack of a run: its registered name, and options (checked against its schema; defaults filled in). */
export type AttackRequest =
  | string
  | { readonly name: string; readonly options?: Readonly<Record<string, unknown>> };

export interface EvaluateOptions {
  /** A model folder, an .onnx file, or a shipped model's name (lenet, mlp, nin). */
  readonly model: string;
  /** A registered dataset (mnist, cifar10) and, for one not embedded, the folder holding its files. */
  readonly dataset: string;
  readonly dataDir?: string;
  /** Default "test". */
  readonly split?: "train" | "test";
  readonly attacks: readonly AttackRequest[];
  /** Certifying methods of @rho/bounds run beside the attacks (ibp, crown, milp): per point the bracket. */
  readonly bounds?: readonly string[];
  /** Bytes a bound method may use (default: three quarters of the machine's memory); more: a UsageError before any work. */
  readonly memoryLimit?: number;
  /** Bound methods' largest ε (default 64) and milp's time limit per point, seconds (default 60). */
  readonly boundEpsMax?: number;
  readonly boundTimeLimit?: number;
  /** The label attacks move to, unless an attack's options say otherwise (default "second"). */
  readonly target?: "second" | "all" | number;
  /** How many points: the first N, or N drawn with the seed `sample`. */
  readonly points: number;
  readonly sample?: number;
  /** This run's share of the points (0-based index of count), for runs spread over machines. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** ε of frequency and severity, and fixed-ε attacks' radius unless their options give one (default 20). */
  readonly eps?: number;
  /** The results directory: run.json and results.jsonl. */
  readonly out: string;
  /** Continue the run already in `out` (refused if it is another run); without it `out` must hold none. */
  readonly resume?: boolean;
  /** Worker threads (default 1); each attack runs in one, so a hang or a crash costs one row. */
  readonly workers?: number;
  readonly backend?: BackendName | "auto";
  /** Seconds one attack may take on one point before it is stopped: a timeout row (default 3600). */
  readonly attackTimeLimit?: number;
  /** Modules that register plug-in attacks, imported in every worker (default: those `--plugin` loaded). */
  readonly plugins?: readonly string[];
}

export interface EvaluateHooks {
  /** Once the work is known: how many results are to come, how many a resumed run kept. */
  readonly onStart?: (info: {
    readonly total: number;
    readonly kept: number;
    readonly backend: string;
  }) => void;
  /** Each (attack, point) result as it is written. */
  readonly onResult?: (row: ResultRow) => void;
  /** Stops the run: running attacks are ended, written results stay (resume continues); evaluate rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** One attack's statistics over a run (severity only for minimum-distance attacks). */
export type AttackSummary = ReturnType<typeof attackSummary>;

export interface Evaluation {
  /** The results directory, absolute. */
  readonly dir: string;
  readonly spec: RunSpec;
  /** Every result of the run's points (kept ones of a resumed run included). */
  readonly rows: readonly ResultRow[];
  /** Per attack (not bound methods), in the order given. */
  readonly summary: readonly AttackSummary[];
  /** With bound methods: certified / proven non-robust / unknown at ε. */
  readonly bracket?: BracketShares;
}

export const DEFAULT_EPS = 20;

/**
 * An attack's time on one point before a run stops it (seconds): generous for honest attacks
 * (alp-walk takes minutes on a NiN-sized point: benchmarks/alp/README.md), finite so that a search that never answers cannot
 * hang a run.
 */
export const DEFAULT_ATTACK_TIME_LIMIT = 3600;

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

const attackName = (a: AttackRequest) => (typeof a === "string" ? a : a.name);

/** Bound method names, checked: known, not an attack's name, not repeated. */
function checkBounds(names: readonly string[], attacks: readonly string[]): void {
  for (const b of names) {
    if (!boundMethodNames().includes(b))
      throw new UsageError(`unknown bound method "${b}"; known: ${boundMethodNames().join(", ")}`);
    if (attacks.includes(b)) throw new UsageError(`"${b}" names both an attack and a bound method`);
  }
  if (new Set(names).size !== names.length) throw new UsageError("a bound method is named twice");
}

/**
 * Runs the attacks (and bound methods) on the chosen points, appending each result to
 * `out/results.jsonl` as it finishes, and returns the rows with each attack's φ̂ and μ̂ at ε.
 * Bad input (unknown names, bad options, a model that does not fit the data, an `out` holding
 * another run) throws a UsageError before any work.
 */
export async function evaluate(o: EvaluateOptions, hooks: EvaluateHooks = {}): Promise<Evaluation> {
  const attacks = attacksByName(o.attacks.map(attackName));
  const workers = o.workers ?? 1;
  if (!(Number.isSafeInteger(workers) && workers >= 1))
    throw new UsageError(`workers must be an integer of at least 1, got ${workers}`);
  const split = o.split ?? "test";
  const eps = o.eps ?? DEFAULT_EPS;
  if (!(eps > 0 && Number.isFinite(eps))) throw new UsageError(`eps must be a positive number, got ${eps}`);
  const target = o.target ?? "second";
  const boundNames = [...(o.bounds ?? [])];
  checkBounds(
    boundNames,
    attacks.map((a) => a.name),
  );
  const boundOptions = { epsMax: o.boundEpsMax ?? 64, tolerance: 0.01, timeLimit: o.boundTimeLimit ?? 60 };
  const options = resolveGiven(
    attacks,
    o.attacks.map((a) => (typeof a === "string" ? {} : (a.options ?? {}))),
    { target, eps },
  );
  const shard = o.shard ? ([o.shard.index, o.shard.count] as [number, number]) : null;
  if (shard && !isShard(shard[0], shard[1]))
    throw new UsageError(`shard must have 0 ≤ index < count, got ${shard[0]}/${shard[1]}`);
  const modelDir = resolveModel(o.model);
  const net = await loadNetwork(o.model);
  checkBoundMemory(boundNames, net, o.memoryLimit);
  checkTarget(target, net.outputSize);
  const data = loadSplit(o.dataset, split, o.dataDir);
  checkFits(net, data);
  const points = choosePoints(data.count, o.points, o.sample ?? null, shard);
  const spec: RunSpec = {
    rho: VERSION,
    model: { path: o.model, sha256: await modelHash(modelDir) },
    dataset: {
      name: o.dataset,
      split,
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
    eps,
    points,
    pointsRequested: o.points,
    sample: o.sample ?? null,
    shard: shard ? `${shard[0]}/${shard[1]}` : null,
  };

  const dir = resolve(o.out);
  const runFile = join(dir, RUN_FILE);
  const resultsFile = join(dir, RESULTS_FILE);
  if (existsSync(runFile) && !o.resume)
    throw new UsageError(`${o.out} already holds a run: resume it (--resume), or choose a new out`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot write to ${o.out}: ${(e as Error).message}`);
  }
  const release = acquireLock(dir, o.out);
  try {
    if (existsSync(runFile)) {
      const prev = readRun(dir).spec;
      // a run resumed with attacks or points added keeps its rows and runs only what is new
      const moreAttacks = addsAttacks(prev, spec);
      const morePoints = addsPoints(prev, spec);
      const grown = {
        ...prev,
        ...(moreAttacks ? { attacks: spec.attacks } : {}),
        ...(morePoints ? { points: spec.points, pointsRequested: spec.pointsRequested } : {}),
      };
      const diff = specDifferences(grown, spec);
      if (diff.length)
        throw new UsageError(
          `--resume: ${o.out} holds a different run (${diff.join("; ")}); choose another out, or remove that directory to start over (attacks and points may only be added, with the same options)`,
        );
      if (moreAttacks || morePoints) writeJsonInto(dir, RUN_FILE, spec, o.out);
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
    const backend = await chooseBackend(o.backend ?? "auto"); // refuses an unknown backend before any worker starts
    hooks.onStart?.({ total: todo.length, kept: done.length, backend });
    const record = (row: ResultRow) => {
      appendFileSync(resultsFile, `${JSON.stringify(row)}\n`);
      done.push(row);
      hooks.onResult?.(row);
    };
    await runTasks(todo, {
      setup: {
        modelDir,
        dataset: o.dataset,
        split,
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        backend: o.backend ?? "auto",
        plugins: o.plugins ?? loadedPlugins,
      },
      workers,
      limit: o.attackTimeLimit ?? DEFAULT_ATTACK_TIME_LIMIT,
      failed: (t, reason) => failedRow(data, t.attack, t.index, reason),
      record,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });

    const chosen = new Set(points);
    const rows = done.filter((r) => chosen.has(r.index));
    const summary = spec.attacks
      .filter((config) => config.family !== "bound")
      .map((config) =>
        attackSummary(
          config,
          rows.filter((r) => r.attack === config.name),
          eps,
        ),
      );
    const bracket = boundNames.length ? bracketShares(pointBrackets(spec, rows), eps) : undefined;
    return { dir, spec, rows, summary, ...(bracket ? { bracket } : {}) };
  } finally {
    release();
  }
}

type Todo = Omit<Task, "setup">;

/**
 * The tasks in worker threads (`inLanes`). Every attack runs in a worker, even with one worker: a search that never
 * answers (or busy-loops) is stopped at the time limit by ending its thread, and one that calls
 * process.exit() ends only its thread; either way the pool starts a fresh worker.
 */
async function runTasks(
  todo: readonly Todo[],
  o: {
    setup: WorkerSetup;
    workers: number;
    limit: number;
    failed: (t: Todo, reason: string) => ResultRow;
    record: (row: ResultRow) => void;
    signal?: AbortSignal;
  },
): Promise<void> {
  o.signal?.throwIfAborted();
  await inLanes(
    new URL("../../dist/eval/worker.js", import.meta.url),
    o.workers,
    todo,
    async (pool, t) => {
      const t0 = performance.now();
      const timeout = AbortSignal.timeout(o.limit * 1000);
      let row: ResultRow;
      try {
        row = (await pool.run({ setup: o.setup, ...t } satisfies Task, {
          signal: o.signal ? AbortSignal.any([timeout, o.signal]) : timeout,
        })) as ResultRow;
      } catch (e) {
        if (o.signal?.aborted) return; // stopped by the caller: no row, the point stays to do
        row =
          (e as Error).name === "AbortError"
            ? {
                ...o.failed(
                  t,
                  `no answer within the attack time limit (--attack-time-limit ${o.limit} s): stopped, its worker replaced`,
                ),
                status: "timeout",
                seconds: (performance.now() - t0) / 1000,
              }
            : // a worker that failed outside the attack (it could not load, or exited): a failed row
              o.failed(t, `worker: ${(e as Error).message}`);
      }
      o.record(row);
    },
    o.signal,
  );
  o.signal?.throwIfAborted();
}
