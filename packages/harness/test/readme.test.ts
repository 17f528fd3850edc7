import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import * as api from "../src/index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

it("the README lists every export of the package", () => {
  for (const name of Object.keys(api)) expect(readme, name).toContain(`\`${name}\``);
});

it("the README's API example is examples/table1.ts, and it runs: two attacks, a bound, Table 1", async () => {
  const file = new URL("../examples/table1.ts", import.meta.url);
  const example = readFileSync(file, "utf8");
  expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  expect(
    example.split("\n").filter((l) => l.trim() && !l.trim().startsWith("//")).length,
  ).toBeLessThanOrEqual(20);
  const dir = mkdtempSync(join(tmpdir(), "rho-example-"));
  try {
    const tsx = new URL("../../../node_modules/.bin/tsx", import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(tsx, [file.pathname], { cwd: dir });
    expect(stdout).toMatch(/^alp-walk: φ̂\(20\) = \d+\.\d%, μ̂ = \d+\.\d\d px$/m);
    expect(stdout).toMatch(/^pgd: φ̂\(20\) = \d+\.\d%/m);
    expect(stdout).toMatch(/^certified robust at ε = 20: \d+\.\d%$/m);
    // Table 1's row: the model, its 8 points, accuracy, two cells per attack, three for the bracket
    const row = stdout.split("\n").find((l) => l.startsWith("| mlp | 8 |"));
    const cells = row?.split("|").slice(1, -1) ?? [];
    expect(cells).toHaveLength(3 + 2 * 2 + 3);
    for (const c of cells.slice(2)) expect(c).toMatch(/^ \d+\.\d+%? \[\d+\.\d+, \d+\.\d+\] $/);
    const rows = readFileSync(join(dir, "runs", "mlp", "results.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(rows).toHaveLength(8 * 3);
    expect(readFileSync(join(dir, "runs", "report", "table1.md"), "utf8")).toContain("| mlp | 8 |");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
