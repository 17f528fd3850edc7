// Benchmark: HiGHS settings on the ALP LP of the shipped LeNet. For each point, the first LP of
// iterative constraint solving (norm, target and tight region rows) and the second (plus the rows
// the first one's optimum violates) are solved cold under each setting; prints iterations and
// seconds, writes JSON. Run: npm run bench:alp-solve -- --help
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PixelFormulation, pickTargets } from "@rho/attacks";
import { concatRows, type LinearProgram, minLinfProgram, selectRows } from "@rho/constraints";
import { image, loadDataset } from "@rho/datasets";
import { LinearRegion } from "@rho/encoders";
import { argmax, loadModel } from "@rho/models";
import { getSolver, RowPool } from "@rho/solvers";
import * as highsModule from "highs";
import { median } from "../stats.js";

const { values: args } = parseArgs({
  options: {
    points: { type: "string", default: "0,1,2" },
    settings: { type: "string" },
    out: { type: "string", default: "benchmarks/alp/out/solve-options.json" },
    help: { type: "boolean", default: false },
  },
});

/** HiGHS options per setting; "x*-basis" also starts from the basis of x = x*, t = 0; "feasibility" drops t and the norm rows. */
const SETTINGS: Record<string, Record<string, string | number | boolean>> = {
  default: {},
  "presolve off": { presolve: "off" },
  "scale 0 (none)": { simplex_scale_strategy: 0 },
  "scale 4 (max value 0)": { simplex_scale_strategy: 4 },
  "dual devex": { simplex_dual_edge_weight_strategy: 1 },
  "x*-basis": { presolve: "off" },
  feasibility: {},
  "primal simplex": { simplex_strategy: 4 },
};
if (args.help) {
  console.log(`usage: npm run bench:alp-solve -- [options]
  --points I,J   LeNet test points (default 0,1,2)
  --settings A,B settings to run (default all): ${Object.keys(SETTINGS).join("; ")}
  --out FILE     JSON output (default benchmarks/alp/out/solve-options.json)`);
  process.exit(0);
}
const chosen = args.settings ? args.settings.split(",") : Object.keys(SETTINGS);
for (const s of chosen)
  if (!(s in SETTINGS)) {
    console.error(`unknown setting "${s}"; known: ${Object.keys(SETTINGS).join("; ")}`);
    process.exit(2);
  }

type Loader = typeof highsModule.default.default;
const ns = highsModule as unknown as { default: Loader | { default: Loader } };
const loadHighs: Loader = typeof ns.default === "function" ? ns.default : ns.default.default;
const H = await loadHighs();
const root = fileURLToPath(new URL("../..", import.meta.url));
const net = await loadModel(join(root, "models/lenet-mnist"));
const mnist = loadDataset("mnist", "test");
const highs = await getSolver("highs");
const n = net.inputSize;

/** The first two LPs of iterative solving at this point, as alp builds them. */
async function roundLps(index: number): Promise<[LinearProgram, LinearProgram]> {
  const px = image(mnist, index);
  const logits = net.forward64(px).logits;
  const [target] = pickTargets(logits, argmax(logits), "second");
  const form = new PixelFormulation(new LinearRegion(net, px));
  const tight = form.tightRows();
  const norm = minLinfProgram(form.region.center, [0, 255]);
  const first: LinearProgram = {
    ...norm,
    rows: concatRows(concatRows(norm.rows, form.targetRows(target as number, 1e-3)), tight.rows),
  };
  const r = await highs.solve(first);
  const pool = new RowPool(form.source(), Number.POSITIVE_INFINITY, tight.ids);
  const extra = pool.violated(r.primal as Float64Array, 1e-7);
  return [first, { ...first, rows: concatRows(first.rows, extra) }];
}

function run(p: LinearProgram, setting: string): { status: number; iterations: number; seconds: number } {
  let lp = p;
  if (setting === "feasibility") {
    const keep = Array.from({ length: p.rows.count - 2 * n }, (_, k) => k + 2 * n);
    lp = { ...p, objective: new Float64Array(p.numCols), rows: selectRows(p.rows, keep) };
  }
  const nnz = lp.rows.starts[lp.rows.count] as number;
  const m = H.createModel({
    numCols: lp.numCols,
    numRows: lp.rows.count,
    sense: H.constants.objectiveSense.minimize,
    offset: 0,
    colCost: lp.objective,
    colLower: lp.colLower,
    colUpper: lp.colUpper,
    rowLower: lp.rows.lower,
    rowUpper: lp.rows.upper,
    matrix: {
      format: "csr",
      numRows: lp.rows.count,
      numCols: lp.numCols,
      starts: lp.rows.starts,
      indices: lp.rows.indices.subarray(0, nnz),
      values: lp.rows.values.subarray(0, nnz),
    },
  });
  try {
    m.options.set({ output_flag: false, ...SETTINGS[setting] });
    if (setting === "x*-basis") {
      // x basic at x* through the rows x_i − t ≤ x*_i held at their bound, t = 0 at its bound
      const colStatus = new Int32Array(lp.numCols).fill(1);
      colStatus[n] = 0;
      const rowStatus = new Int32Array(lp.rows.count).fill(1);
      for (let i = 0; i < n; i++) rowStatus[2 * i] = 2;
      m.setBasis({ colStatus, rowStatus });
    }
    const t = performance.now();
    const status = m.run().modelStatus as number;
    return {
      status,
      iterations: Number(m.info.get("simplex_iteration_count")),
      seconds: (performance.now() - t) / 1000,
    };
  } finally {
    m.dispose();
  }
}

const points = args.points.split(",").map(Number);
const lps = [];
for (const i of points) lps.push({ index: i, lps: await roundLps(i) });
const rows: {
  setting: string;
  index: number;
  round: number;
  status: number;
  iterations: number;
  seconds: number;
}[] = [];
for (const setting of chosen)
  for (const { index, lps: pair } of lps)
    pair.forEach((lp, k) => {
      const r = run(lp, setting);
      rows.push({ setting, index, round: k + 1, ...r });
      process.stderr.write(
        `${setting} point ${index} LP ${k + 1}: status ${r.status}, ${r.iterations} iterations, ${r.seconds.toFixed(2)} s\n`,
      );
    });
console.log(
  "\n| setting | median iterations, first LP | median s, first LP | median iterations, second LP | median s, second LP |",
);
console.log("|---|---|---|---|---|");
for (const setting of chosen) {
  const of = (round: number) => rows.filter((r) => r.setting === setting && r.round === round);
  const it = (round: number) => median(of(round).map((r) => r.iterations)).toFixed(0);
  const sec = (round: number) => median(of(round).map((r) => r.seconds)).toFixed(2);
  console.log(`| ${setting} | ${it(1)} | ${sec(1)} | ${it(2)} | ${sec(2)} |`);
}
writeFileSync(
  args.out,
  `${JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, node: process.version, points, rows }, null, 2)}\n`,
);
console.log(`\nJSON: ${args.out}`);
