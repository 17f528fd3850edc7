// `rho verify --instances FILE.csv --out RESULTS.csv`: a VNN-COMP benchmark folder's instances
// (network, property, time limit per row, paths relative to the csv), one result row appended to
// RESULTS.csv as each finishes, so --resume continues a killed run without repeating or dropping one.
// RESULTS.csv.json records which instances file (and its sha256) and which shard the rows are of:
// --resume and `rho merge` check it.
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "csv-parse/sync";
import { EXIT_OK, UsageError } from "../errors.js";
import { parseShard } from "../eval/spec.js";
import { initBackend } from "../inputs.js";
import { inLanes } from "../lanes.js";
import type { Output } from "../output.js";
import { progressBar } from "../progress.js";
import type { VerifyAnswer, VerifyTask } from "../verify/worker.js";
import { VERSION } from "../version.js";

export interface VerifyInstancesOptions {
  instances: string;
  out: string;
  resume: boolean;
  /** i/n: the instances whose row index is i modulo n. */
  shard?: string;
  /** Instances run side by side, one worker thread each. */
  workers: number;
  backend: "auto" | "wasm" | "cpu" | "tensorflow";
  json: boolean;
}

export const HEADER = "network,property,result,seconds,stage";

/** Seconds past an instance's time limit after which its worker is ended (a hang, not a slow stage). */
const HANG_GRACE = 30;

/** What RESULTS.csv holds rows of (its sidecar RESULTS.csv.json). */
export interface VerifyRun {
  readonly rho: string;
  /** The instances file, resolved, and its sha256. */
  readonly instances: string;
  readonly sha256: string;
  /** "i/n", or null for every instance. */
  readonly shard: string | null;
  /** The instances this run answers, as "network,property". */
  readonly keys: readonly string[];
}

export const runFileOf = (results: string): string => `${results}.json`;

export function readVerifyRun(results: string): VerifyRun {
  const file = runFileOf(results);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as VerifyRun;
  } catch (e) {
    throw new UsageError(
      `${file}: cannot read the run's description (${(e as Error).message.split("\n")[0]})`,
    );
  }
}

interface Instance {
  readonly network: string;
  readonly property: string;
  readonly timeout: number;
}

function readInstances(file: string): Instance[] {
  let rows: string[][];
  try {
    rows = parse(readFileSync(file, "utf8"), { skipEmptyLines: true, trim: true, relaxColumnCount: true });
  } catch (e) {
    throw new UsageError(`${file}: cannot read the instances (${(e as Error).message.split("\n")[0]})`);
  }
  return rows.map((r, i) => {
    const [network, property, timeout] = r;
    const t = Number(timeout);
    if (!network || !property || !(t > 0))
      throw new UsageError(
        `${file}:${i + 1}: expected "network.onnx,property.vnnlib,seconds", got "${r.join(",")}"`,
      );
    return { network, property, timeout: t };
  });
}

/** The rows already in RESULTS.csv, by "network,property" (a partial last line is dropped). */
export function doneRows(file: string): Map<string, string> {
  const done = new Map<string, string>();
  if (!existsSync(file)) return done;
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  if (lines[0] !== HEADER)
    throw new UsageError(`${file} is not a rho verify results file (its first line is not "${HEADER}")`);
  for (const line of lines.slice(1, text.endsWith("\n") ? -1 : lines.length - 1)) {
    const parts = line.split(",");
    if (parts.length === 5) done.set(`${parts[0]},${parts[1]}`, line);
  }
  return done;
}

export async function verifyInstancesCommand(o: VerifyInstancesOptions, out: Output): Promise<number> {
  const shard = o.shard === undefined ? null : parseShard(o.shard);
  if (!(o.workers >= 1)) throw new UsageError(`--workers must be at least 1, got ${o.workers}`);
  const all = readInstances(o.instances);
  const instances = shard ? all.filter((_, i) => i % shard[1] === shard[0]) : all;
  const base = dirname(resolve(o.instances));
  if (existsSync(o.out) && !o.resume)
    throw new UsageError(`${o.out} already holds results: --resume continues the run, or choose a new --out`);
  const run: VerifyRun = {
    rho: VERSION,
    instances: resolve(o.instances),
    sha256: createHash("sha256").update(readFileSync(o.instances)).digest("hex"),
    shard: o.shard ?? null,
    keys: instances.map((x) => `${x.network},${x.property}`),
  };
  if (existsSync(o.out) && existsSync(runFileOf(o.out))) {
    const old = readVerifyRun(o.out);
    if (old.sha256 !== run.sha256 || old.shard !== run.shard)
      throw new UsageError(
        `--resume: ${o.out} holds results of ${old.instances}${old.shard ? ` shard ${old.shard}` : ""} ` +
          `(sha256 ${old.sha256.slice(0, 12)}…), not of this run; choose another --out`,
      );
  } else writeFileSync(runFileOf(o.out), `${JSON.stringify(run, null, 2)}\n`);
  const done = doneRows(o.out);
  // rewritten from the rows read: a partial last line goes
  writeFileSync(o.out, `${[HEADER, ...done.values()].join("\n")}\n`);
  await initBackend(o.backend, out);
  const todo = instances.filter((x) => !done.has(`${x.network},${x.property}`));
  if (done.size) out.info(`resuming: ${done.size} results kept, ${todo.length} to go`);
  const bar = progressBar("verify");
  bar.start(todo.length, 0, { status: "" });
  // Every instance runs in a worker thread, even with one worker: one that overruns its time limit
  // by more than a grace period (a hang) is stopped by ending its thread, and gets a timeout row.
  try {
    await inLanes(
      new URL("../../dist/verify/worker.js", import.meta.url),
      o.workers,
      todo,
      async (pool, x) => {
        let a: VerifyAnswer;
        const t0 = performance.now();
        try {
          a = (await pool.run(
            {
              backend: o.backend,
              network: resolve(base, x.network),
              property: resolve(base, x.property),
              propertyName: x.property,
              timeout: x.timeout,
            } satisfies VerifyTask,
            { signal: AbortSignal.timeout(1000 * (x.timeout + HANG_GRACE)) },
          )) as VerifyAnswer;
        } catch (e) {
          if ((e as Error).name !== "AbortError") throw e;
          a = { result: "timeout", seconds: (performance.now() - t0) / 1000, stage: "" };
        }
        if (a.message) out.info(`${x.network} ${x.property}: ${a.message}`);
        appendFileSync(o.out, `${x.network},${x.property},${a.result},${a.seconds.toFixed(3)},${a.stage}\n`);
        bar.increment(1, { status: `${x.property}: ${a.result}` });
      },
    );
  } finally {
    bar.stop();
  }
  const rows = doneRows(o.out);
  const tally: Record<string, number> = {};
  for (const line of rows.values()) {
    const r = line.split(",")[2] as string;
    tally[r] = (tally[r] ?? 0) + 1;
  }
  if (o.json) out.json({ instances: instances.length, out: o.out, results: tally });
  else
    out.line(
      `${instances.length} instances: ${Object.entries(tally)
        .map(([k, v]) => `${v} ${k}`)
        .join(", ")}; rows in ${o.out}`,
    );
  return EXIT_OK;
}
