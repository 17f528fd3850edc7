import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { attackNames } from "@rho/attacks";

/** The plugin modules this process imported (as URLs), so worker threads can import them too. */
export const loadedPlugins: string[] = [];

/** Where a plug-in attack came from: the module's path and the sha256 of its file, for run.json. */
export interface PluginSource {
  readonly path: string;
  readonly sha256: string | null;
}
const sources = new Map<string, PluginSource>();

/** The plug-in that registered this attack (undefined for rho's own). */
export const pluginOf = (attack: string): PluginSource | undefined => sources.get(attack);

/**
 * Imports every `--plugin <module>` before the commands are built, so the attacks (or solvers)
 * a plugin registers are available by name like the built-in ones. A plug-in registering a name
 * that is taken (a built-in's) is refused.
 */
export async function loadPlugins(argv: readonly string[]): Promise<void> {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const spec = a === "--plugin" ? argv[i + 1] : a.startsWith("--plugin=") ? a.slice(9) : undefined;
    if (spec === undefined) continue;
    const url = existsSync(spec) ? pathToFileURL(resolve(spec)).href : spec;
    const before = new Set(attackNames());
    try {
      await import(url);
      loadedPlugins.push(url);
    } catch (e) {
      throw new Error(`--plugin ${spec}: ${(e as Error).message}`);
    }
    const path = url.startsWith("file:") ? fileURLToPath(url) : url;
    let sha256: string | null = null;
    try {
      sha256 = createHash("sha256").update(readFileSync(path)).digest("hex");
    } catch {
      // a package name rather than a file: its path is the record
    }
    for (const name of attackNames()) if (!before.has(name)) sources.set(name, { path, sha256 });
  }
}
