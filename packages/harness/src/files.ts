import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { UsageError } from "./errors.js";

/** Writes `value` as JSON to dir/name, creating dir; failing to is the user's unwritable `--out`. */
export function writeJsonInto(dir: string, name: string, value: unknown, outLabel: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  } catch (e) {
    throw new UsageError(`cannot write to ${outLabel}: ${(e as Error).message}`);
  }
}

/**
 * A JSON file of rho's own (checkpoint state, round records) read and checked against its shape:
 * unreadable, not JSON, or the wrong shape (null, a number, a missing field) is one usage error
 * naming the file.
 */
export function readJsonFile<T>(file: string, schema: z.ZodType<T>, what: string): T {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UsageError(
      `${file} is not ${what} (${i ? `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}` : "wrong shape"})`,
    );
  }
  return r.data;
}
