import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Per-point results of a benchmark, streamed as JSON lines next to its JSON output so a stopped
 * run keeps what it finished (and, where a benchmark takes `--resume`, goes on from it): `start`
 * empties the file, `append` adds one line, `read` loads one.
 */
export const jsonlFile = (out: string): string => `${out.replace(/\.json$/, "")}.jsonl`;

/** Empties the per-point file, or with `resume` keeps it (created if absent) for the run to go on. */
export function startJsonl(out: string, resume = false): string {
  mkdirSync(dirname(out), { recursive: true });
  const file = jsonlFile(out);
  if (!resume || !existsSync(file)) writeFileSync(file, "");
  return file;
}

export const appendJsonl = (file: string, row: unknown): void =>
  appendFileSync(file, `${JSON.stringify(row)}\n`);

export function readJsonl<T>(file: string): T[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}
