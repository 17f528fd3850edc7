// What a results directory records: the run's provenance (run.json) and one JSON line per point
// and attack (results.jsonl), appended as each finishes so a killed run loses no completed point.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { prng } from "@rho/models";
import { UsageError } from "../errors.js";

export const RUN_FILE = "run.json";
export const RESULTS_FILE = "results.jsonl";

export interface AttackConfig {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** Everything that decides a run's results; two runs are comparable when these agree. */
export interface RunSpec {
  readonly rho: string;
  readonly model: { readonly path: string; readonly sha256: string };
  /** sha256 over the whole split (pixels and labels); dataDir is where it was read from (null: embedded). */
  readonly dataset: {
    readonly name: string;
    readonly split: string;
    readonly sha256: string;
    readonly dataDir?: string | null;
  };
  readonly attacks: readonly AttackConfig[];
  readonly eps: number;
  readonly points: readonly number[];
  readonly sample: number | null;
  readonly shard: string | null;
}

export interface ResultRow {
  readonly attack: string;
  readonly index: number;
  readonly label: number;
  readonly predicted: number;
  readonly status: string;
  /** ρ̂ in pixels; null when no example was found (∞). */
  readonly rho: number | null;
  readonly target: number | null;
  /** The example passed the float64 (and float32) forward-pass checks. */
  readonly verified: boolean;
  /** Still adversarial rounded to integer pixels; null without an example. */
  readonly rounded: boolean | null;
  readonly seconds: number;
  /** The attack's numeric diagnostics (ties, rows, rounds, iterations…). */
  readonly stats: Readonly<Record<string, number>>;
  /** The verified adversarial example: float32 pixels, little-endian, base64 (for reports' Figure 2). */
  readonly example?: string;
  /** The label the float64 forward pass gives the example. */
  readonly exampleLabel?: number;
}

export function encodeExample(pixels: ArrayLike<number>): string {
  const f = Float32Array.from(pixels);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString("base64");
}

export function decodeExample(text: string): Float32Array {
  const b = Buffer.from(text, "base64");
  // copy: a Buffer's offset need not be 4-byte aligned
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** sha256 of a model directory's model.json and weight files, in a stable order. */
export function modelHash(dir: string): string {
  const h = createHash("sha256");
  const topology = readFileSync(join(dir, "model.json"));
  h.update(topology);
  const manifest = JSON.parse(topology.toString("utf8")) as { weightsManifest?: { paths: string[] }[] };
  for (const group of manifest.weightsManifest ?? [])
    for (const p of group.paths) h.update(readFileSync(join(dir, p)));
  return h.digest("hex");
}

/** sha256 of a whole split's pixels and labels, so a run is tied to the data it saw. */
export function splitHash(images: Uint8Array, labels: Uint8Array): string {
  return createHash("sha256").update(images).update(labels).digest("hex");
}

/** The fields that must agree for results to be resumed or compared, as readable differences. */
export function specDifferences(a: RunSpec, b: RunSpec): string[] {
  const out: string[] = [];
  if (a.model.sha256 !== b.model.sha256) out.push(`model (${a.model.path} vs ${b.model.path})`);
  if (a.dataset.sha256 !== b.dataset.sha256 || a.dataset.name !== b.dataset.name)
    out.push(`data (${a.dataset.name} ${a.dataset.split} vs ${b.dataset.name} ${b.dataset.split})`);
  if (JSON.stringify(a.points) !== JSON.stringify(b.points)) out.push("points");
  if (JSON.stringify(a.attacks) !== JSON.stringify(b.attacks)) out.push("attacks or their options");
  if (a.eps !== b.eps) out.push(`ε (${a.eps} vs ${b.eps})`);
  return out;
}

/** "i/n" → [i, n] with 0 ≤ i < n; anything else is a usage error. */
export function parseShard(s: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const [i, n] = m ? [Number(m[1]), Number(m[2])] : [Number.NaN, Number.NaN];
  if (!(n >= 1 && i >= 0 && i < n)) throw new UsageError(`--shard must be i/n with 0 ≤ i < n, got "${s}"`);
  return [i, n];
}

/** The points of a run: the first N, or N drawn without replacement by a seed, then this shard's share. */
export function choosePoints(
  total: number,
  count: number,
  sample: number | null,
  shard: [number, number] | null,
): number[] {
  const n = Math.min(count, total);
  let points: number[];
  if (sample === null) points = Array.from({ length: n }, (_, i) => i);
  else {
    // a seeded partial Fisher-Yates shuffle
    const rand = prng(sample);
    const all = Array.from({ length: total }, (_, i) => i);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(rand() * (total - i));
      [all[i], all[j]] = [all[j] as number, all[i] as number];
    }
    points = all.slice(0, n).sort((a, b) => a - b);
  }
  return shard ? points.filter((_, k) => k % shard[1] === shard[0]) : points;
}

/** A results directory: its run.json and its rows. */
export function readRun(dir: string): { spec: RunSpec; rows: ResultRow[] } {
  const runFile = join(dir, RUN_FILE);
  if (!existsSync(runFile)) throw new UsageError(`${dir} holds no rho eval run (no ${RUN_FILE})`);
  let spec: RunSpec;
  try {
    spec = JSON.parse(readFileSync(runFile, "utf8")) as RunSpec;
  } catch (e) {
    throw new UsageError(`${runFile} is not valid JSON: ${(e as Error).message}`);
  }
  return { spec, rows: readResults(join(dir, RESULTS_FILE)) };
}

/** The rows of a results file; a partial last line (a run killed mid-write) is dropped. */
export function readResults(file: string): ResultRow[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as ResultRow];
      } catch {
        return [];
      }
    });
}
