// Probe: how far CROWN, α-CROWN on the last layer, and α-CROWN on every ReLU's input bounds get
// toward proving a VNN-LIB property's rows, on its first case. Per property: unstable ReLUs per
// layer before and after the intermediate bounds are tightened (and the seconds that took), and
// per row the margin lower bound − bound for CROWN / α on the last layer / α after tightening
// (> 0: the row is proved), and the median seconds of α on the last layer per row. With --dump,
// also each property's dense layers, box and tightened bounds as JSON, for lp-refine.py (what LP
// and MILP intermediate bounds would add). Run: npm run bench:alpha-probe -- --help
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  alphaBounds,
  alphaLowerBound,
  crownBounds,
  type Interval,
  lowerBounds,
  reluInputs,
} from "@rho/bounds";
import { loadModel, rawPixels, useBackend } from "@rho/models";
import { parseVnnlib } from "@rho/verify";
import { median } from "../stats.js";

const { values } = parseArgs({
  options: {
    dir: { type: "string" },
    network: { type: "string" },
    properties: { type: "string" },
    iterations: { type: "string", default: "20" },
    dump: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help || !values.dir || !values.network || !values.properties) {
  console.log(`usage: npm run bench:alpha-probe -- --dir BENCHMARK_FOLDER --network NET.onnx --properties a.vnnlib,b.vnnlib
    [--iterations N]   α-CROWN's steps per intermediate bound (default 20; 50 per output row)
    [--dump DIR]       write DIR/PROPERTY.json (dense layers, box, tightened bounds) for lp-refine.py`);
  process.exit(values.help ? 0 : 2);
}
await useBackend("cpu");
const net = await loadModel(join(values.dir, values.network), rawPixels(1));
const L = net.layers.length;
const iterations = Number(values.iterations);
const unstable = (bounds: readonly Interval[]) =>
  reluInputs(net).map(({ value }) => {
    const b = bounds[value] as Interval;
    return b.lo.reduce((n, l, i) => n + (l < 0 && (b.hi[i] as number) > 0 ? 1 : 0), 0);
  });
for (const p of values.properties.split(",")) {
  const spec = parseVnnlib(readFileSync(join(values.dir, p), "utf8"), p);
  const c = spec.cases[0];
  if (!c) continue;
  const box = { lo: c.lo, hi: c.hi };
  const { bounds } = crownBounds(net, box);
  const t0 = performance.now();
  const tight = alphaBounds(net, box, bounds, { iterations }).bounds;
  const seconds = (performance.now() - t0) / 1000;
  if (values.dump) dump(values.dump, p, box, tight);
  const rowSeconds: number[] = [];
  const gaps = c.outputs.flatMap((rows) =>
    rows.map((r) => {
      const coef = Float64Array.from(r.coef);
      const crown = (lowerBounds(net, bounds, L, [coef], box)[0] as number) - r.bound;
      const t = performance.now();
      const last = alphaLowerBound(net, bounds, L, coef, box, { iterations: 50 }).value - r.bound;
      rowSeconds.push((performance.now() - t) / 1000);
      const all = alphaLowerBound(net, tight, L, coef, box, { iterations: 50 }).value - r.bound;
      return `${crown.toFixed(2)}/${last.toFixed(2)}/${all.toFixed(2)}`;
    }),
  );
  console.log(
    `${p}: unstable ReLUs ${unstable(bounds).join(",")} → ${unstable(tight).join(",")} (${seconds.toFixed(1)} s); α on the last layer ${median(rowSeconds).toFixed(2)} s a row (median, 50 steps); per row CROWN/α last/α all: ${gaps.join(" ")}`,
  );
}

/** The network's dense layers (weights input-major, as rho holds them), the box and `bounds`. */
function dump(dir: string, property: string, box: Interval, bounds: readonly Interval[]): void {
  const layers = net.layers.map((l) =>
    l.kind === "dense"
      ? { kind: l.kind, units: l.units, w: Array.from(l.weights), b: Array.from(l.bias) }
      : { kind: l.kind },
  );
  mkdirSync(dir, { recursive: true });
  const plain = (b: Interval) => ({ lo: Array.from(b.lo), hi: Array.from(b.hi) });
  writeFileSync(
    join(dir, `${property}.json`),
    JSON.stringify({ layers, box: plain(box), relus: reluInputs(net), bounds: bounds.map(plain) }),
  );
}
