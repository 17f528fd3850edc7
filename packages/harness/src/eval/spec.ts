// What a results directory records: the run's provenance (run.json) and one JSON line per point
// and attack (results.jsonl), appended as each finishes so a killed run loses no completed point.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { modelFiles, prng } from "@rho/models";
import { z } from "zod";
import { UsageError } from "../errors.js";
import { firstIssue, parseJsonAs } from "../files.js";
import { VERSION } from "../version.js";

export const RUN_FILE = "run.json";
export const RESULTS_FILE = "results.jsonl";

export interface AttackConfig {
  readonly name: string;
  /**
   * minimum-distance (ρ̂, severity, Figure 3), fixed-epsilon (frequency only), or bound: a
   * certifying method of @rho/bounds (`rho eval --bounds`), whose rows carry ρ_lb in `lower`.
   */
  readonly family: "minimum-distance" | "fixed-epsilon" | "bound";
  /** Every option the attack ran with, defaults filled in. */
  readonly options: Readonly<Record<string, unknown>>;
  /** A plug-in attack: the module that registered it and its file's sha256. */
  readonly plugin?: { readonly path: string; readonly sha256: string | null };
}

/** Everything that decides a run's results; two runs are comparable when these agree. */
export interface RunSpec {
  readonly rho: string;
  /** sha256 over every file the model is loaded from (model.json, weight shards, rho.json). */
  readonly model: { readonly path: string; readonly sha256: string };
  /** sha256 over the whole split (pixels and labels); dataDir is where it was read from (null: embedded). */
  readonly dataset: {
    readonly name: string;
    readonly split: string;
    readonly sha256: string;
    readonly dataDir?: string | null;
  };
  readonly attacks: readonly AttackConfig[];
  /** --target as given: second, all or a label (attacks that take a target got it). */
  readonly target: string | number;
  readonly eps: number;
  /** This run's points (a shard's share of the chosen ones). */
  readonly points: readonly number[];
  /** --points: how many were chosen before sharding. */
  readonly pointsRequested: number;
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
  /** Why there is no example, or why the point failed (status error or timeout): one line. */
  readonly reason?: string;
  /** Bound rows: the certified lower bound ρ_lb, pixels (`rho` is then a witness's distance). */
  readonly lower?: number;
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

/**
 * sha256 of everything a model is loaded from (`modelFiles`: model.json and its weight files, or
 * the .onnx and its external data; rho.json, the input mapping), in a stable order, each under its
 * name, so a changed preprocessing is another model.
 */
export async function modelHash(path: string): Promise<string> {
  const h = createHash("sha256");
  for (const f of await modelFiles(path)) {
    const bytes = readFileSync(f.path);
    h.update(`${f.name}\0${bytes.length}\0`).update(bytes);
  }
  return h.digest("hex");
}

/** sha256 of a whole split's pixels and labels, so a run is tied to the data it saw. */
export function splitHash(images: Uint8Array, labels: Uint8Array): string {
  return createHash("sha256").update(images).update(labels).digest("hex");
}

/**
 * Every field that changes a run's answers where two specs differ, as one readable phrase each.
 * `except` leaves fields out: compare expects other models, merge other shards' points.
 */
export function specDifferences(
  a: RunSpec,
  b: RunSpec,
  except: readonly ("model" | "points" | "shard")[] = [],
): string[] {
  const out: string[] = [];
  const same = (x: unknown, y: unknown) => canonical(x) === canonical(y);
  if (a.rho !== b.rho) out.push(`rho version (${a.rho} vs ${b.rho})`);
  if (!except.includes("model") && a.model.sha256 !== b.model.sha256)
    out.push(`model files (${a.model.path} vs ${b.model.path})`);
  if (
    a.dataset.sha256 !== b.dataset.sha256 ||
    a.dataset.name !== b.dataset.name ||
    a.dataset.split !== b.dataset.split
  )
    out.push(`data (${a.dataset.name} ${a.dataset.split} vs ${b.dataset.name} ${b.dataset.split})`);
  if (!except.includes("points") && !same(a.points, b.points)) out.push("points");
  if (a.pointsRequested !== b.pointsRequested)
    out.push(`--points (${a.pointsRequested} vs ${b.pointsRequested})`);
  if (a.sample !== b.sample) out.push(`--sample (${a.sample} vs ${b.sample})`);
  if (!except.includes("shard") && a.shard !== b.shard) out.push(`--shard (${a.shard} vs ${b.shard})`);
  const names = (s: RunSpec) => s.attacks.map((x) => x.name).join(",");
  if (names(a) !== names(b)) out.push(`attacks (${names(a)} vs ${names(b)})`);
  else
    for (const [i, x] of a.attacks.entries()) {
      const y = b.attacks[i] as AttackConfig;
      if (!same(x.options, y.options) || x.family !== y.family)
        out.push(`${x.name}'s options (${JSON.stringify(x.options)} vs ${JSON.stringify(y.options)})`);
      if (x.plugin?.sha256 !== y.plugin?.sha256)
        out.push(`${x.name}'s plug-in (${x.plugin?.path ?? "built in"} vs ${y.plugin?.path ?? "built in"})`);
    }
  if (a.eps !== b.eps) out.push(`ε (${a.eps} vs ${b.eps})`);
  if (a.target !== b.target) out.push(`--target (${a.target} vs ${b.target})`);
  return out;
}

/**
 * JSON with every object's keys sorted: options given in another order (`--opt descent=false`
 * lands first) are the same options, so a run made with them still resumes.
 */
function canonical(x: unknown): string {
  return JSON.stringify(x, (_, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Whether `next` is `prev` with attacks added: more attacks, each of `prev`'s among them under the
 * same configuration (options, family, plug-in). Such a run can be resumed: its rows stay valid.
 */
export function addsAttacks(prev: RunSpec, next: RunSpec): boolean {
  const byName = new Map(next.attacks.map((a) => [a.name, a]));
  return (
    next.attacks.length > prev.attacks.length &&
    prev.attacks.every((a) => {
      const b = byName.get(a.name);
      return (
        b !== undefined &&
        a.family === b.family &&
        canonical(a.options) === canonical(b.options) &&
        a.plugin?.sha256 === b.plugin?.sha256
      );
    })
  );
}

/**
 * Whether `next` is `prev` over more points: a larger --points whose points hold all of `prev`'s
 * (the first N always do; a seeded sample does too, its partial shuffle drawing a prefix). A row
 * depends only on its attack and point, so such a run can be resumed with its rows kept.
 */
export function addsPoints(prev: RunSpec, next: RunSpec): boolean {
  const have = new Set(next.points);
  return next.points.length > prev.points.length && prev.points.every((p) => have.has(p));
}

/** Which of a run's (attack, point) results are still missing. */
export function missingResults(spec: RunSpec, rows: readonly ResultRow[]): number {
  const have = new Set(rows.map((r) => `${r.attack}#${r.index}`));
  let missing = 0;
  for (const p of spec.points) for (const a of spec.attacks) if (!have.has(`${a.name}#${p}`)) missing++;
  return missing;
}

/** Shard i of n exists: integers with 0 ≤ i < n. */
export const isShard = (i: number, n: number): boolean =>
  Number.isSafeInteger(i) && Number.isSafeInteger(n) && i >= 0 && i < n;

/** "i/n" → [i, n] with 0 ≤ i < n; anything else is a usage error. */
export function parseShard(s: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const [i, n] = m ? [Number(m[1]), Number(m[2])] : [Number.NaN, Number.NaN];
  if (!isShard(i, n)) throw new UsageError(`--shard must be i/n with 0 ≤ i < n, got "${s}"`);
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

// The shapes of run.json and of a results row, checked on every read: a file that parses to
// something else (null, a number, a row without its attack) is named in one line.
const attackConfigSchema = z.object({
  name: z.string(),
  family: z.enum(["minimum-distance", "fixed-epsilon", "bound"]),
  options: z.record(z.unknown()),
  plugin: z.object({ path: z.string(), sha256: z.string().nullable() }).optional(),
});
const runSpecSchema = z.object({
  rho: z.string(),
  model: z.object({ path: z.string(), sha256: z.string() }),
  dataset: z.object({
    name: z.string(),
    split: z.string(),
    sha256: z.string(),
    dataDir: z.string().nullable().optional(),
  }),
  attacks: z.array(attackConfigSchema),
  target: z.union([z.string(), z.number()]),
  eps: z.number(),
  points: z.array(z.number().int().nonnegative()),
  pointsRequested: z.number().int().nonnegative(),
  sample: z.number().nullable(),
  shard: z.string().nullable(),
});
const resultRowSchema = z
  .object({
    attack: z.string(),
    index: z.number().int().nonnegative(),
    label: z.number().int(),
    predicted: z.number().int(),
    status: z.string(),
    rho: z.number().nullable(),
    target: z.number().nullable(),
    verified: z.boolean(),
    rounded: z.boolean().nullable(),
    seconds: z.number(),
    stats: z.record(z.number()),
    reason: z.string().optional(),
    lower: z.number().optional(),
    example: z.string().optional(),
    exampleLabel: z.number().optional(),
  })
  .passthrough();

/** A run.json's text as a RunSpec; anything else is a usage error naming the file. */
export function parseRunSpec(text: string, file: string): RunSpec {
  return parseJsonAs(
    text,
    file,
    runSpecSchema,
    `a rho ${VERSION} run description`,
    "; a run of another rho version, or a damaged file",
  ) as RunSpec;
}

/** A results directory: its run.json and its rows. */
export function readRun(dir: string): { spec: RunSpec; rows: ResultRow[] } {
  const runFile = join(dir, RUN_FILE);
  if (!existsSync(runFile)) throw new UsageError(`${dir} holds no rho eval run (no ${RUN_FILE})`);
  let text: string;
  try {
    text = readFileSync(runFile, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${runFile}: ${(e as Error).message}`);
  }
  return { spec: parseRunSpec(text, runFile), rows: readResults(join(dir, RESULTS_FILE)) };
}

/**
 * The rows of a results file. A partial last line (a run killed mid-write) is dropped; any other
 * line that is not a results row is a usage error naming it. A row repeated for the same attack
 * and point (two writers on one directory before rho had locks) counts once: the first is kept.
 */
export function readResults(file: string): ResultRow[] {
  if (!existsSync(file)) return [];
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const lines = text.split("\n");
  const complete = lines.length - 1; // the last piece is "" (a finished file) or a partial line
  const rows: ResultRow[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < complete; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`${file} line ${i + 1} is not JSON: the file is damaged`);
    }
    const r = resultRowSchema.safeParse(value);
    if (!r.success)
      throw new UsageError(`${file} line ${i + 1} is not a results row (${firstIssue(r.error)})`);
    const key = `${r.data.attack}#${r.data.index}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push(r.data as ResultRow);
  }
  return rows;
}
