import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
