// rho's verifier on a VNN-COMP benchmark folder (its instances.csv), one instance at a time on
// one core, each within its time limit (× --timeout-scale): per network the counts of sat / unsat /
// unknown / timeout, the median seconds of the decided instances and which stage decided them.
// Each instance's row streams to OUT.jsonl; the table is reprinted from it with --summarize.
//   npm run bench:verify -- --dir ../shared/benchmarks/vnncomp2021/mnistfc [--timeout-scale 1]
//       [--networks mnist-net_256x2.onnx] [--out benchmarks/verify/out/mnistfc.json]
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { loadModel, type Network, rawPixels, useBackend } from "@rho/models";
import { parseVnnlib, verifyProperty } from "@rho/verify";
import { median } from "../stats.js";

const { values } = parseArgs({
  options: {
    dir: { type: "string" },
    csv: { type: "string", default: "" },
    "timeout-scale": { type: "string", default: "1" },
    networks: { type: "string", default: "" },
    properties: { type: "string", default: "" },
    "leaf-units": { type: "string" },
    "milp-units": { type: "string" },
    "alpha-iterations": { type: "string" },
    "alpha-share": { type: "string" },
    "refine-depth": { type: "string" },
    probe: { type: "string" },
    restarts: { type: "string" },
    out: { type: "string", default: "benchmarks/verify/out/verify.json" },
    summarize: { type: "string" },
    resume: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help || (!values.dir && !values.summarize)) {
  console.log(`npm run bench:verify -- --dir BENCHMARK_FOLDER [--csv NAME.csv] [--timeout-scale S]
    [--networks a.onnx,b.onnx] [--properties a.vnnlib,b.vnnlib] [--leaf-units N] [--milp-units N]
    [--alpha-iterations N] [--alpha-share S] [--refine-depth N] [--probe 0|1] [--restarts N]
    [--out FILE.json] [--resume] | --summarize FILE.jsonl
  --resume         keep the rows already in OUT.jsonl and run only the instances it lacks (a stopped
                   run continues; the same settings are the caller's to keep)
  --leaf-units N   branch and bound hands domains with at most N unstable ReLUs to the MILP (default 24)
  --milp-units N   networks of up to N ReLUs get the MILP on the whole box instead (default 0)
  --alpha-iterations N  branch and bound: α,β-CROWN's steps per open row and domain, each from its
                   parent's slopes and multipliers (default 10; 0: the slopes tight at the worst
                   pixels alone, the default before 2026-12-07)
  --alpha-share S  the share of the time left after the falsifiers that α-CROWN may spend on every ReLU's input
                   bounds before branch and bound (default 0.15; 0: off)
  --refine-depth N branch and bound: domains down to depth N get CROWN's bounds above their newest
                   split (default 7; 0: IBP alone carries a split up)
  --probe 0|1      branch and bound: an attack inside each domain left open (default 1)
  --restarts N     APGD runs per input box before the bounds (default 5; a large N spends the
                   instance's time on the falsifier alone: how much a longer attack finds)`);
  process.exit(values.help ? 0 : 2);
}

interface Row {
  network: string;
  property: string;
  timeout: number;
  result: string;
  stage: string | null;
  seconds: number;
  /** Branch and bound's domains. */
  domains?: number;
  /**
   * The share of branch and bound's search it settled, the mean over the conjunctions it was
   * given (rows from before 2026-12-06 lack it).
   */
  settled?: number;
  /** The property's conjunctions ruled out, and how many it has (rows from before 2026-12-07 lack them). */
  refuted?: number;
  conjunctions?: number;
}

function table(rows: readonly Row[]): string {
  const nets = [...new Set(rows.map((r) => r.network))];
  const lines = [
    "| network | instances | sat | unsat | unknown | timeout | median s (decided) | decided by | search settled (undecided: median, max) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const n of nets) {
    const mine = rows.filter((r) => r.network === n);
    const count = (s: string) => mine.filter((r) => r.result === s).length;
    const decided = mine.filter((r) => r.result === "sat" || r.result === "unsat");
    const stages = [...new Set(decided.map((r) => r.stage))]
      .map((s) => `${s} ${decided.filter((r) => r.stage === s).length}`)
      .join(", ");
    const shares = mine
      .filter((r) => !decided.includes(r) && r.settled !== undefined)
      .map((r) => r.settled as number);
    const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
    const settled = shares.length ? `${pct(median(shares))}, ${pct(Math.max(...shares))}` : "—";
    lines.push(
      `| ${n} | ${mine.length} | ${count("sat")} | ${count("unsat")} | ${count("unknown")} | ${count("timeout")} | ${decided.length ? median(decided.map((r) => r.seconds)).toFixed(2) : "—"} | ${stages} | ${settled} |`,
    );
  }
  return lines.join("\n");
}

if (values.summarize) {
  const rows = readFileSync(values.summarize, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
  console.log(table(rows));
  process.exit(0);
}

const dir = values.dir as string;
const csvName =
  values.csv ||
  (existsSync(join(dir, `${dir.split("/").filter(Boolean).pop()}_instances.csv`))
    ? `${dir.split("/").filter(Boolean).pop()}_instances.csv`
    : "instances.csv");
const scale = Number(values["timeout-scale"]);
const only = new Set(values.networks.split(",").filter(Boolean));
const props = new Set(values.properties.split(",").filter(Boolean));
const instances = readFileSync(join(dir, csvName), "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => {
    const [network, property, timeout] = l.split(",").map((s) => s.trim());
    return { network: network as string, property: property as string, timeout: Number(timeout) * scale };
  })
  .filter((x) => only.size === 0 || only.has(x.network))
  .filter(
    (x) => props.size === 0 || props.has(x.property) || props.has(x.property.split("/").pop() as string),
  );
const count = (
  name:
    | "leaf-units"
    | "milp-units"
    | "alpha-iterations"
    | "alpha-share"
    | "refine-depth"
    | "probe"
    | "restarts",
) => {
  const v = values[name];
  return v === undefined ? undefined : Number(v);
};
const leafUnits = count("leaf-units");
const milpUnits = count("milp-units");
const alphaIterations = count("alpha-iterations");
const alphaShare = count("alpha-share");
const refineDepth = count("refine-depth");
const probe = count("probe");
const restarts = count("restarts");

await useBackend("auto");
const out = values.out;
mkdirSync(dirname(out), { recursive: true });
const jsonl = out.replace(/\.json$/, ".jsonl");
const key = (r: { network: string; property: string }) => `${r.network}\u0000${r.property}`;
const wanted = new Set(instances.map(key));
// a resumed run keeps the finished rows of these instances (a cut last line is dropped)
const rows: Row[] =
  values.resume && existsSync(jsonl)
    ? readFileSync(jsonl, "utf8")
        .split("\n")
        .flatMap((l) => {
          try {
            return l.trim() ? [JSON.parse(l) as Row] : [];
          } catch {
            return [];
          }
        })
        .filter((r) => wanted.has(key(r)))
    : [];
const done = new Set(rows.map(key));
writeFileSync(jsonl, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
if (done.size) console.error(`resuming: ${done.size} of ${instances.length} instances already in ${jsonl}`);
const nets = new Map<string, Network>();
for (const x of instances) {
  if (done.has(key(x))) continue;
  let net = nets.get(x.network);
  if (!net) {
    net = await loadModel(join(dir, x.network), rawPixels(1));
    nets.set(x.network, net);
  }
  const spec = parseVnnlib(readFileSync(join(dir, x.property), "utf8"), x.property);
  const r = await verifyProperty(net, spec, {
    timeout: x.timeout,
    ...(leafUnits === undefined ? {} : { leafUnits }),
    ...(milpUnits === undefined ? {} : { milpUnits }),
    ...(alphaIterations === undefined ? {} : { alphaIterations }),
    ...(alphaShare === undefined ? {} : { alphaShare }),
    ...(refineDepth === undefined ? {} : { refineDepth }),
    ...(probe === undefined ? {} : { probe: probe !== 0 }),
    ...(restarts === undefined ? {} : { restarts }),
  });
  const row: Row = {
    ...x,
    result: r.status,
    stage: r.stage ?? null,
    seconds: r.seconds,
    domains: r.domains,
    ...(r.settled === undefined ? {} : { settled: r.settled }),
    refuted: r.refuted,
    conjunctions: r.conjunctions,
  };
  rows.push(row);
  appendFileSync(jsonl, `${JSON.stringify(row)}\n`);
  console.error(
    `${x.network} ${x.property}: ${r.status}${r.stage ? ` (${r.stage})` : ""} in ${r.seconds.toFixed(2)} s` +
      (r.domains ? `, ${r.domains} domains` : "") +
      (r.settled !== undefined && r.status !== "unsat"
        ? `, ${(100 * r.settled).toFixed(1)} % of the search settled, ${r.refuted} of ${r.conjunctions} conjunctions ruled out`
        : ""),
  );
}
console.log(table(rows));
writeFileSync(out, `${JSON.stringify({ dir, csv: csvName, timeoutScale: scale, rows }, null, 2)}\n`);
