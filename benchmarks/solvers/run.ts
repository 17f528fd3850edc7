// Benchmark: LP solvers on generated robustness-shaped LPs, full solve vs iterative constraint
// solving. Prints a table of median seconds and writes JSON. Run: npm run bench:solvers -- --help
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { solverNames } from "@rho/solvers";
import { median } from "../stats.js";
import type { CellJob, RepResult } from "./cell.js";
import { generate, SIZES } from "./generate.js";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: SIZES.map((s) => s.name).join(",") },
    solvers: { type: "string", default: solverNames().join(",") },
    modes: { type: "string", default: "full,iterative" },
    reps: { type: "string", default: "3" },
    budget: { type: "string", default: "240" },
    timeout: { type: "string", default: "60" },
    seed: { type: "string", default: "1" },
    out: { type: "string", default: "benchmarks/solvers/out/solvers.json" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:solvers -- [options]
  --sizes xs,s,m,lenet     instance sizes (${SIZES.map((s) => `${s.name}: ${s.n} inputs × ${s.m} region rows`).join("; ")})
  --solvers a,b            solvers (default: all registered)
  --modes full,iterative   full LP and/or iterative constraint solving
  --reps N                 repetitions per cell; the median is reported (default 3)
  --budget S               stop repeating a cell once it has used S seconds (default 240)
  --timeout S              a single solve slower than S seconds is stopped and reported as a timeout,
                           and the solver is not tried on larger sizes in that mode (default 60)
  --out FILE               JSON output (default benchmarks/solvers/out/solvers.json)`);
  process.exit(0);
}

const pick = (list: string, known: string[], what: string) =>
  list.split(",").map((s) => {
    if (!known.includes(s)) {
      console.error(`unknown ${what} "${s}"; known: ${known.join(", ")}`);
      process.exit(2);
    }
    return s;
  });
const sizes = pick(
  args.sizes,
  SIZES.map((s) => s.name),
  "size",
).map((n) => SIZES.find((s) => s.name === n)!);
const solvers = pick(args.solvers, solverNames(), "solver");
const modes = pick(args.modes, ["full", "iterative"], "mode") as ("full" | "iterative")[];
const reps = Number(args.reps);
const timeout = Number(args.timeout);

interface Cell {
  size: string;
  cols: number;
  regionRows: number;
  nonzeros: number;
  solver: string;
  mode: "full" | "iterative";
  outcome: "ok" | "timeout" | "skipped" | "error";
  reps: RepResult[];
  medianSeconds?: number;
  note?: string;
}

function runCell(job: CellJob): Promise<{ reps: RepResult[]; outcome: Cell["outcome"]; note?: string }> {
  return new Promise((resolve) => {
    const reps: RepResult[] = [];
    const worker = new Worker(new URL("./cell-worker.mjs", import.meta.url), { workerData: job });
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void worker.terminate();
        resolve({ reps, outcome: "timeout", note: `a solve took over ${timeout} s` });
      }, timeout * 1000);
    };
    arm();
    worker.on("message", (r: RepResult) => {
      reps.push(r);
      process.stderr.write(".");
      arm();
    });
    worker.on("error", (e) => {
      clearTimeout(timer);
      resolve({ reps, outcome: "error", note: e.message });
    });
    worker.on("exit", () => {
      clearTimeout(timer);
      resolve({ reps, outcome: "ok" });
    });
  });
}

const cells: Cell[] = [];
const gaveUp = new Set<string>();
for (const size of sizes) {
  const inst = generate(size.name, size.n, size.m, Number(args.seed));
  for (const solver of solvers) {
    for (const mode of modes) {
      const base = {
        size: size.name,
        cols: inst.cols,
        regionRows: inst.regionRows,
        nonzeros: inst.nonzeros,
        solver,
        mode,
      };
      if (gaveUp.has(`${solver}/${mode}`)) {
        cells.push({ ...base, outcome: "skipped", reps: [], note: "timed out on a smaller size" });
        continue;
      }
      process.stderr.write(`${size.name} ${solver} ${mode} `);
      const r = await runCell({
        size,
        solver,
        mode,
        reps,
        budgetSeconds: Number(args.budget),
        seed: Number(args.seed),
      });
      process.stderr.write(` ${r.outcome}\n`);
      if (r.outcome === "timeout") gaveUp.add(`${solver}/${mode}`);
      const cell: Cell = { ...base, outcome: r.outcome, reps: r.reps, ...(r.note ? { note: r.note } : {}) };
      if (r.outcome === "ok" && r.reps.length) cell.medianSeconds = median(r.reps.map((x) => x.seconds));
      cells.push(cell);
    }
  }
}

// Every instance is feasible by construction, so every finished solve must end optimal, and the
// optimal objectives must agree across solvers and modes for each size.
const disagreements: string[] = [];
for (const c of cells) {
  const bad = c.reps.find((r) => r.status !== "optimal");
  if (bad) disagreements.push(`${c.size}: ${c.solver}/${c.mode} said ${bad.status} on a feasible LP`);
}
for (const size of sizes) {
  const objs = cells
    .filter((c) => c.size === size.name)
    .flatMap((c) =>
      c.reps
        .filter((r) => r.status === "optimal")
        .map((r) => ({ who: `${c.solver}/${c.mode}`, o: r.objective as number })),
    );
  const ref = objs[0];
  for (const x of objs) {
    if (ref && Math.abs(x.o - ref.o) > 1e-6 * Math.max(1, Math.abs(ref.o))) {
      disagreements.push(`${size.name}: ${x.who} ${x.o} vs ${ref.who} ${ref.o}`);
    }
  }
}

const fmt = (c: Cell | undefined) => {
  if (!c) return "";
  if (c.outcome === "ok") {
    const bad = c.reps.find((r) => r.status !== "optimal");
    return `${(c.medianSeconds as number).toFixed(3)} (${c.reps.length})${bad ? ` ${bad.status}!` : ""}`;
  }
  return c.outcome === "timeout" ? `> ${timeout} s` : c.outcome;
};
const header = [
  "size",
  "inputs",
  "region rows",
  "nonzeros",
  "solver",
  "full: median s (reps)",
  "iterative: median s (reps)",
  "rounds",
  "rows used",
];
const lines = [header];
for (const size of sizes) {
  for (const solver of solvers) {
    const f = cells.find((c) => c.size === size.name && c.solver === solver && c.mode === "full");
    const it = cells.find((c) => c.size === size.name && c.solver === solver && c.mode === "iterative");
    const any = (f ?? it) as Cell;
    const last = it?.reps.at(-1);
    lines.push([
      size.name,
      String(any.cols - 1),
      String(any.regionRows),
      String(any.nonzeros),
      solver,
      fmt(f),
      fmt(it),
      last ? String(last.rounds) : "",
      last ? `${last.rowsInFinalLp} / ${any.regionRows + 2 * (any.cols - 1) + 1}` : "",
    ]);
  }
}
const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] as string).length)));
const md = lines.map((l) => `| ${l.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`);
md.splice(1, 0, `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
console.log(md.join("\n"));
console.log(
  disagreements.length
    ? `\nDISAGREEMENTS:\n${disagreements.join("\n")}`
    : "\nevery solve ended optimal and all objectives agree (1e-6 relative)",
);

const report = {
  benchmark: "solvers",
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  settings: { reps, budgetSeconds: Number(args.budget), timeoutSeconds: timeout, seed: Number(args.seed) },
  cells,
  disagreements,
};
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`JSON: ${args.out}`);
if (disagreements.length) process.exitCode = 1;
