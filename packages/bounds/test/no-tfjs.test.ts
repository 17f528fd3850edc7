// Encoders and bounds work on the network's own float64 arithmetic: loading them must not load
// TensorFlow.js (hundreds of milliseconds and a native or wasm backend, for nothing). Walks the
// runtime imports of their sources — type-only imports are erased — across the workspace's packages.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const packages = fileURLToPath(new URL("../../", import.meta.url));

/** Every module specifier a source file loads at run time (static, re-export, side-effect, dynamic). */
function runtimeImports(text: string): string[] {
  const out: string[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const m of code.matchAll(/^\s*(import|export)\s+(type\s+)?([^;"']*?\sfrom\s+)?["']([^"']+)["']/gm))
    if (!m[2] && (m[1] === "import" || m[3])) out.push(m[4] as string);
  for (const m of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1] as string);
  return out;
}

/** A workspace specifier as the source file it names; null for a package outside the workspace. */
function resolveSource(spec: string, from: string): string | null {
  if (spec.startsWith(".")) return resolve(dirname(from), spec.replace(/\.js$/, ".ts"));
  const m = /^@rho\/([^/]+)(?:\/(.+))?$/.exec(spec);
  if (!m) return null;
  const file = join(packages, m[1] as string, "src", `${m[2] ?? "index"}.ts`);
  return existsSync(file) ? file : join(packages, m[1] as string, "src", m[2] as string, "index.ts");
}

/** The external packages the module graph from `entry` loads, and the workspace files it reaches. */
function graph(entry: string): { external: Set<string>; files: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of runtimeImports(readFileSync(file, "utf8"))) {
      const next = resolveSource(spec, file);
      if (next) todo.push(next);
      else external.add(spec);
    }
  }
  return { external, files };
}

it("the walk sees runtime imports and skips type-only ones", () => {
  const text = [
    'import type { A } from "x-type";',
    'import { type B, c } from "x-value";',
    'export type { D } from "x-type-export";',
    'export { e } from "x-export";',
    'import "x-side";',
    'const f = await import("x-dynamic");',
    '// import { g } from "x-comment";',
  ].join("\n");
  expect(runtimeImports(text).sort()).toEqual(["x-dynamic", "x-export", "x-side", "x-value"]);
  // and the whole package does load TensorFlow.js: the walk would see it
  expect([...graph(join(packages, "models/src/index.ts")).external]).toContain("@tensorflow/tfjs");
});

it("@rho/encoders and @rho/bounds load no TensorFlow.js, yet reach the network's forward pass", () => {
  for (const pkg of ["encoders", "bounds"]) {
    const { external, files } = graph(join(packages, pkg, "src/index.ts"));
    expect(
      [...external].filter((s) => s.startsWith("@tensorflow")),
      pkg,
    ).toEqual([]);
    expect(files.has(join(packages, "models/src/network.ts")), pkg).toBe(true);
  }
});
