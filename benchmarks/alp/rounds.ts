// Benchmark: ALP's iterative constraint solving on one CIFAR-10 point of a trained NiN, round by
// round — the LP's optimum t, its seconds, the rows added and how many of them are tight at the
// next optimum — in three forms of the same question (is there an example in x*'s region within
// maxEps?): the attack's own (min t, rows added), an active set (min t, rows slack at the
// optimum dropped), and a feasibility form (t fixed at maxEps, the target's margin maximised).
// Run: npm run bench:alp-rounds -- --help
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { COSTLY_SHARE, PixelFormulation } from "@rho/attacks";
import {
  concatRows,
  emptyRows,
  type LinearProgram,
  minLinfProgram,
  type RowBatch,
  selectRows,
} from "@rho/constraints";
import { image, loadDataset } from "@rho/datasets";
import { LinearRegion } from "@rho/encoders";
import { loadModel } from "@rho/models";
import { getSolver } from "@rho/solvers";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    "data-dir": { type: "string" },
    point: { type: "string", default: "0" },
    form: { type: "string", default: "iterative" },
    "max-eps": { type: "string", default: "32" },
    "rows-per-round": { type: "string", default: "1536" },
    "lp-options": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help || !args.model || !args["data-dir"]) {
  console.log(`usage: npm run bench:alp-rounds -- --model DIR --data-dir DIR [options]
  --model DIR           a CIFAR-10 model directory (e.g. a NiN exported by training/nin-cifar10)
  --data-dir DIR        the CIFAR-10 binary files
  --point K             the K-th test image the model classifies correctly (default 0)
  --form F              iterative (alp's: rows added, most violated first, costly rows capped),
                        active-set (the same, rows slack at the optimum dropped) or
                        feasibility (t fixed at max-eps: max the target's margin s, done once s < 0)
  --max-eps E           pixels (default 32, alp's)
  --rows-per-round N    rows added a round (default 1536, alp's for 3,072 pixels)
  --lp-options "k=v;…"  HiGHS options, e.g. run_crossover=off`);
  process.exit(args.help ? 0 : 2);
}
const net = await loadModel(resolve(args.model));
const test = loadDataset("cifar10", "test", args["data-dir"]);
const want = Number(args.point);
let px: Float64Array | undefined;
for (let i = 0, seen = 0; i < test.labels.length && !px; i++) {
  const p = Float64Array.from(image(test, i));
  if (net.predict64(p) === test.labels[i] && seen++ === want) px = p;
}
if (!px) throw new Error(`fewer than ${want + 1} correctly classified test images`);
const eps = Number(args["max-eps"]);
const perRound = Number(args["rows-per-round"]);
const solverOptions = args["lp-options"]
  ? Object.fromEntries(
      args["lp-options"].split(";").map((kv) => {
        const [k, v] = kv.split("=") as [string, string];
        return [k.trim(), Number.isFinite(Number(v)) ? Number(v) : v.trim()];
      }),
    )
  : undefined;
const now = () => performance.now() / 1000;
const t0 = now();
const region = new LinearRegion(net, px);
const logits = region.activations[region.activations.length - 1] as Float64Array;
const target = Array.from(logits.keys()).sort(
  (a, b) => (logits[b] as number) - (logits[a] as number),
)[1] as number;
const form = new PixelFormulation(region);
const src = form.source();
const n = net.inputSize;
// the starting LP: min t over the ball (alp's), or max s with x in the ball of radius maxEps
let base: LinearProgram;
if (args.form === "feasibility") {
  const x = px;
  const colLower = Float64Array.from({ length: n + 1 }, (_, i) =>
    i < n ? Math.max(0, (x[i] as number) - eps) : -1e6,
  );
  const colUpper = Float64Array.from({ length: n + 1 }, (_, i) =>
    i < n ? Math.min(255, (x[i] as number) + eps) : 1e6,
  );
  const objective = new Float64Array(n + 1);
  objective[n] = 1;
  base = {
    numCols: n + 1,
    sense: "max",
    objective,
    objectiveOffset: 0,
    colLower,
    colUpper,
    rows: form.targetRows(target, 0, n),
  };
} else {
  const norm = minLinfProgram(region.center, [0, 255], eps);
  base = { ...norm, rows: concatRows(norm.rows, form.targetRows(target, 1e-3)) };
}
const setup = now() - t0;
const solver = await getSolver("highs");
// every row built so far, once, and where each candidate sits in it: a round's LP selects its rows
// in one copy (concatenating them one by one grew quadratically with the rows)
let store: RowBatch = emptyRows();
const built = new Map<number, number>();
let active: number[] = [];
const totals = { lp: 0, rows: 0, check: 0, rounds: 0 };
let verdict = "round limit";
console.log(
  `region ${region.size} rows; setup (region, target rows) ${setup.toFixed(1)} s; form ${args.form}`,
);
console.log("| round | LP status | optimum | LP s | rows in LP | tight at optimum | violated | added |");
console.log("|---|---|---|---|---|---|---|---|");
for (let round = 1; round <= 40; round++) {
  const rows = selectRows(
    store,
    active.map((id) => built.get(id) as number),
  );
  const session = solver.session(
    { ...base, rows: concatRows(base.rows, rows) },
    {
      method: "interior",
      ...(solverOptions ? { solverOptions } : {}),
    },
  );
  const r = await session.solve();
  session.dispose();
  totals.lp += r.seconds;
  totals.rounds = round;
  if (r.status !== "optimal") {
    console.log(`| ${round} | ${r.status} | — | ${r.seconds.toFixed(1)} | ${active.length} | — | — | — |`);
    verdict = r.status === "infeasible" ? `no example within ${eps}` : r.status;
    break;
  }
  const s = now();
  const v = src.violations(r.primal as Float64Array);
  totals.check += now() - s;
  const inLp = new Set(active);
  const tight = active.filter((id) => (v[id] as number) > -1e-6);
  const violated = Array.from(v.keys()).filter((i) => !inLp.has(i) && (v[i] as number) > 1e-7);
  violated.sort((p, q) => (v[q] as number) - (v[p] as number));
  const dear = violated.filter((i) => src.costly?.(i));
  const cheap = violated.filter((i) => !src.costly?.(i));
  const takeDear = Math.min(
    dear.length,
    Math.max(Math.ceil(perRound * COSTLY_SHARE), perRound - cheap.length),
  );
  const add = [...dear.slice(0, takeDear), ...cheap.slice(0, perRound - takeDear)];
  const opt = r.objective as number;
  console.log(
    `| ${round} | optimal | ${opt.toFixed(3)} | ${r.seconds.toFixed(1)} | ${active.length} | ${tight.length} | ${violated.length} | ${add.length} |`,
  );
  if (args.form === "feasibility" && opt < 1e-3) {
    verdict = `no example within ${eps} (the margin's relaxation is below alp's 1e-3)`;
    break;
  }
  if (add.length === 0) {
    verdict = "optimal over the whole region";
    break;
  }
  const need = add.filter((id) => !built.has(id)).sort((a, b) => a - b);
  const b0 = now();
  if (need.length) {
    need.forEach((id, k) => {
      built.set(id, store.count + k);
    });
    store = concatRows(store, src.rows(need));
  }
  totals.rows += now() - b0;
  active = [...(args.form === "active-set" ? tight : active), ...add].sort((a, b) => a - b);
}
console.log(
  `\n${verdict}: ${(now() - t0).toFixed(1)} s in all — LP ${totals.lp.toFixed(1)} s over ${totals.rounds} rounds, building rows ${totals.rows.toFixed(1)} s (${built.size}), checking ${totals.check.toFixed(1)} s, setup ${setup.toFixed(1)} s`,
);
process.exit(0);
