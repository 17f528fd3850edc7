// Benchmark: `rho eval` throughput — points per second with 1 and with 2 (or more) worker threads
// on the shipped LeNet, the whole command timed (process start, model load, workers' start-up
// included, as a user sees it). Repetitions alternate the worker counts so drift hits both.
// Prints a table and writes JSON. Run: npm run bench:harness -- --help
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median } from "../stats.js";

const { values: args } = parseArgs({
  options: {
    attacks: { type: "string", default: "alp" },
    points: { type: "string", default: "16" },
    workers: { type: "string", default: "1,2" },
    reps: { type: "string", default: "3" },
    out: { type: "string", default: "benchmarks/harness/out/harness.json" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:harness -- [options]
  --attacks LIST   attacks rho eval runs (default alp)
  --points N       the first N MNIST test points (default 16)
  --workers LIST   worker counts to compare (default 1,2)
  --reps R         repetitions of each worker count, interleaved (default 3)
  --out FILE       JSON output (default benchmarks/harness/out/harness.json)`);
  process.exit(0);
}
const root = fileURLToPath(new URL("../..", import.meta.url));
const rho = join(root, "packages/harness/bin/rho.js");
const workerCounts = args.workers.split(",").map(Number);
const points = Number(args.points);

interface Run {
  workers: number;
  rep: number;
  seconds: number;
  pointsPerSecond: number;
  attackSeconds: number;
}
const runs: Run[] = [];
for (let rep = 0; rep < Number(args.reps); rep++) {
  for (const workers of workerCounts) {
    const dir = mkdtempSync(join(tmpdir(), "rho-bench-harness-"));
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        rho,
        "eval",
        "--model",
        "lenet",
        "--attacks",
        args.attacks,
        "--points",
        String(points),
        "--workers",
        String(workers),
        "--out",
        join(dir, "r"),
        "--json",
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
    const seconds = (performance.now() - t0) / 1000;
    rmSync(dir, { recursive: true, force: true });
    if (r.status !== 0) {
      console.error(`rho eval exited ${r.status}`);
      process.exit(1);
    }
    const summary = JSON.parse(r.stdout).summary as { seconds: number }[];
    const run = {
      workers,
      rep,
      seconds,
      pointsPerSecond: points / seconds,
      attackSeconds: summary.reduce((t, s) => t + s.seconds, 0),
    };
    runs.push(run);
    console.error(
      `rep ${rep} workers ${workers}: ${seconds.toFixed(1)} s, ${run.pointsPerSecond.toFixed(3)} points/s`,
    );
  }
}

const base = median(runs.filter((r) => r.workers === workerCounts[0]).map((r) => r.pointsPerSecond));
const table = workerCounts.map((workers) => {
  const mine = runs.filter((r) => r.workers === workers);
  const pps = median(mine.map((r) => r.pointsPerSecond));
  return {
    workers,
    medianSeconds: median(mine.map((r) => r.seconds)),
    medianPointsPerSecond: pps,
    speedup: pps / base,
    medianAttackSecondsPerPoint: median(mine.map((r) => r.attackSeconds / points)),
  };
});
console.log(
  `rho eval --model lenet --attacks ${args.attacks} --points ${points}; ${cpus().length} cores, ${args.reps} reps, medians`,
);
console.log("| workers | wall s | points/s | speed-up | attack s per point |");
console.log("|---|---|---|---|---|");
for (const t of table)
  console.log(
    `| ${t.workers} | ${t.medianSeconds.toFixed(1)} | ${t.medianPointsPerSecond.toFixed(3)} | ${t.speedup.toFixed(2)}× | ${t.medianAttackSecondsPerPoint.toFixed(2)} |`,
  );
const file = join(root, args.out);
mkdirSync(join(file, ".."), { recursive: true });
writeFileSync(
  file,
  `${JSON.stringify({ attacks: args.attacks, points, cores: cpus().length, runs, table }, null, 2)}\n`,
);
console.log(`JSON: ${args.out}`);
