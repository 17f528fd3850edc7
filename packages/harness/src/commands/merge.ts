import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { EXIT_OK, UsageError } from "../errors.js";
import {
  missingResults,
  RESULTS_FILE,
  type ResultRow,
  RUN_FILE,
  type RunSpec,
  readRun,
  specDifferences,
} from "../eval/spec.js";
import type { Output } from "../output.js";
import { checkShardSet } from "../shards.js";

/**
 * `rho merge SHARD… --out DIR`: the shard runs of one evaluation (`rho eval --shard i/n`) joined
 * into one results directory equal to a single run's: the same run.json (no shard, every point)
 * and the same rows. Refuses shards of different runs, missing or repeated shards, and
 * unfinished ones (finish them with `rho eval --resume`).
 */
export function mergeCommand(dirs: string[], o: { out: string; json: boolean }, out: Output): number {
  if (dirs.length === 0) throw new UsageError("name the shard directories to merge");
  const runs = dirs.map((dir) => ({ dir, ...readRun(dir) }));
  const first = runs[0] as (typeof runs)[number];
  const { n } = checkShardSet(runs.map((r) => ({ name: r.dir, shard: r.spec.shard })));
  const owner = new Map<number, string>();
  for (const r of runs) {
    const diff = specDifferences(first.spec, r.spec, ["points", "shard"]);
    if (diff.length) throw new UsageError(`${r.dir} is a shard of a different run (${diff.join("; ")})`);
    const missing = missingResults(r.spec, r.rows);
    if (missing)
      throw new UsageError(
        `${r.dir} (shard ${r.spec.shard}) is unfinished: ${missing} of ${r.spec.points.length * r.spec.attacks.length} results missing; ` +
          "finish it with rho eval --resume",
      );
    for (const p of r.spec.points)
      if (owner.has(p)) throw new UsageError(`point ${p} is in both ${owner.get(p)} and ${r.dir}`);
      else owner.set(p, r.dir);
  }

  const points = runs.flatMap((r) => r.spec.points).sort((a, b) => a - b);
  const spec: RunSpec = { ...first.spec, points, shard: null };
  const attackOrder = spec.attacks.map((a) => a.name);
  const rows: ResultRow[] = runs
    .flatMap((r) => {
      // a resumed shard may hold a result twice only if the file was edited by hand; keep the last
      const byKey = new Map(r.rows.map((row) => [`${row.attack}#${row.index}`, row]));
      const mine = new Set(r.spec.points);
      return [...byKey.values()].filter((row) => mine.has(row.index));
    })
    .sort((a, b) => a.index - b.index || attackOrder.indexOf(a.attack) - attackOrder.indexOf(b.attack));

  const dir = resolve(o.out);
  if (existsSync(join(dir, RUN_FILE)))
    throw new UsageError(`${o.out} already holds a run; choose a new --out`);
  try {
    mkdirSync(dir, { recursive: true });
    // results first, run.json last and both by rename: a directory with run.json is complete
    const tmp = (f: string) => join(dir, `.${f}.partial`);
    writeFileSync(tmp(RESULTS_FILE), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
    renameSync(tmp(RESULTS_FILE), join(dir, RESULTS_FILE));
    writeFileSync(tmp(RUN_FILE), `${JSON.stringify(spec, null, 2)}\n`);
    renameSync(tmp(RUN_FILE), join(dir, RUN_FILE));
  } catch (e) {
    throw new UsageError(`cannot write to ${o.out}: ${(e as Error).message}`);
  }
  if (o.json) out.json({ out: o.out, shards: n, points: points.length, results: rows.length });
  else out.line(`merged ${n} shards: ${points.length} points, ${rows.length} results in ${o.out}`);
  return EXIT_OK;
}
