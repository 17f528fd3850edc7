// The model a benchmark's --model names: a shipped model by name (the CLI's own list, so a model
// shipped later is usable here without touching the benchmarks) or a model directory.
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { SHIPPED_MODELS } from "@rho/harness";

/** The directory and a short name for output files; exits 2 with one line for anything else. */
export function benchmarkModel(nameOrDir: string): { dir: string; name: string } {
  const shipped = SHIPPED_MODELS[nameOrDir];
  if (shipped) return { dir: shipped, name: nameOrDir };
  if (existsSync(join(nameOrDir, "model.json"))) return { dir: nameOrDir, name: basename(nameOrDir) };
  console.error(
    `unknown model "${nameOrDir}": not a directory with model.json; shipped: ${Object.keys(SHIPPED_MODELS).join(", ")}`,
  );
  process.exit(2);
}
