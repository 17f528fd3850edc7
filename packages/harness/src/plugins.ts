import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The plugin modules this process imported (as URLs), so worker threads can import them too. */
export const loadedPlugins: string[] = [];

/**
 * Imports every `--plugin <module>` before the commands are built, so the attacks (or solvers)
 * a plugin registers are available by name like the built-in ones.
 */
export async function loadPlugins(argv: readonly string[]): Promise<void> {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const spec = a === "--plugin" ? argv[i + 1] : a.startsWith("--plugin=") ? a.slice(9) : undefined;
    if (spec === undefined) continue;
    const url = existsSync(spec) ? pathToFileURL(resolve(spec)).href : spec;
    try {
      await import(url);
      loadedPlugins.push(url);
    } catch (e) {
      throw new Error(`--plugin ${spec}: ${(e as Error).message}`);
    }
  }
}
