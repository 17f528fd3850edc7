import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { UsageError } from "./errors.js";

/**
 * Writes `value` as JSON to dir/name, creating dir; failing to is the user's unwritable `--out`.
 * Written beside and renamed into place, so a run killed meanwhile leaves the old file or the new.
 */
export function writeJsonInto(dir: string, name: string, value: unknown, outLabel: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const temp = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(temp, join(dir, name));
  } catch (e) {
    throw new UsageError(`cannot write to ${outLabel}: ${(e as Error).message}`);
  }
}

/** The first problem zod found, as "path: message". */
export const firstIssue = (e: z.ZodError): string => {
  const i = e.issues[0];
  return i ? `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}` : e.message;
};

/**
 * JSON text of rho's own (run descriptions, checkpoint state, round records) checked against its
 * shape: not JSON, or the wrong shape (null, a number, a missing field) is one usage error naming
 * the file, what it should be, and `hint` if given.
 */
export function parseJsonAs<T>(text: string, file: string, schema: z.ZodType<T>, what: string, hint = ""): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new UsageError(`${file} is not ${what} (${firstIssue(r.error)})${hint}`);
  return r.data;
}

/** parseJsonAs over a file's text; an unreadable file is a usage error too. */
export function readJsonFile<T>(file: string, schema: z.ZodType<T>, what: string): T {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return parseJsonAs(text, file, schema, what);
}
