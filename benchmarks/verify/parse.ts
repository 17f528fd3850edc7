// How long the VNN-LIB reader takes on a benchmark folder's properties (VNN-COMP's mnistfc has
// 30 specs of ~3,200 lines): median and max over the specs, each parsed --repeats times.
//   npm run bench:vnnlib -- --dir ../shared/benchmarks/vnncomp2021/mnistfc [--repeats 5] [--out FILE.json]
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseVnnlib } from "@rho/verify";
import { median } from "../stats.js";

const { values } = parseArgs({
  options: { dir: { type: "string" }, repeats: { type: "string", default: "5" }, out: { type: "string" } },
});
if (!values.dir) {
  console.error(
    "usage: npm run bench:vnnlib -- --dir FOLDER_WITH_VNNLIB_FILES [--repeats 5] [--out FILE.json]",
  );
  process.exit(2);
}
const dir = values.dir;
const repeats = Number(values.repeats);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".vnnlib"))
  .sort();
const rows = files.map((f) => {
  const text = readFileSync(join(dir, f), "utf8");
  const times: number[] = [];
  let cases = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    cases = parseVnnlib(text, f).cases.length;
    times.push(performance.now() - t0);
  }
  return { file: f, lines: text.split("\n").length, cases, ms: median(times) };
});
const ms = rows.map((r) => r.ms);
console.log(`| specs | lines (median) | parse ms, median | parse ms, max |`);
console.log(`| --- | --- | --- | --- |`);
console.log(
  `| ${rows.length} | ${median(rows.map((r) => r.lines))} | ${median(ms).toFixed(2)} | ${Math.max(...ms).toFixed(2)} |`,
);
if (values.out) writeFileSync(values.out, `${JSON.stringify({ dir, repeats, rows }, null, 2)}\n`);
