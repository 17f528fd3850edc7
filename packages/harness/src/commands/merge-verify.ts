// `rho merge A.csv B.csv … --out ALL.csv`: the shards of one `rho verify --instances --shard i/n`
// run joined into one results file equal to a single run's (rows in the instances file's order),
// with its RESULTS.csv.json. Refuses shards of other instances files, missing, repeated or
// unfinished shards.
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { EXIT_OK, UsageError } from "../errors.js";
import type { Output } from "../output.js";
import { checkShardSet } from "../shards.js";
import { doneRows, HEADER, readVerifyRun, runFileOf, type VerifyRun } from "./verify-instances.js";

export function mergeVerifyCommand(files: string[], o: { out: string; json: boolean }, out: Output): number {
  const shards = files.map((file) => ({ file, run: readVerifyRun(file), rows: doneRows(file) }));
  const first = shards[0] as (typeof shards)[number];
  const { n, index } = checkShardSet(shards.map((s) => ({ name: s.file, shard: s.run.shard })));
  for (const s of shards) {
    if (s.run.sha256 !== first.run.sha256)
      throw new UsageError(
        `${s.file} is a shard of ${s.run.instances}, ${first.file} of ${first.run.instances}`,
      );
    const missing = s.run.keys.filter((k) => !s.rows.has(k)).length;
    if (missing)
      throw new UsageError(
        `${s.file} (shard ${s.run.shard}) is unfinished: ${missing} of ${s.run.keys.length} instances missing; ` +
          "finish it with rho verify --resume",
      );
  }
  // the instances file's order: shard i holds rows i, i + n, i + 2n, …
  const byShard = new Map(shards.map((s, k) => [index[k] as number, s]));
  const total = shards.reduce((t, s) => t + s.run.keys.length, 0);
  const keys: string[] = [];
  const lines: string[] = [];
  for (let r = 0; r < total; r++) {
    const s = byShard.get(r % n) as (typeof shards)[number];
    const key = s.run.keys[Math.floor(r / n)] as string;
    keys.push(key);
    lines.push(s.rows.get(key) as string);
  }
  if (existsSync(o.out)) throw new UsageError(`${o.out} already exists; choose a new --out`);
  const run: VerifyRun = { ...first.run, shard: null, keys };
  try {
    // the run's description first and the rows by rename: a results file is complete once it exists
    writeFileSync(runFileOf(o.out), `${JSON.stringify(run, null, 2)}\n`);
    writeFileSync(`${o.out}.partial`, `${[HEADER, ...lines].join("\n")}\n`);
    renameSync(`${o.out}.partial`, o.out);
  } catch (e) {
    throw new UsageError(`cannot write to ${o.out}: ${(e as Error).message}`);
  }
  if (o.json) out.json({ out: o.out, shards: n, instances: total });
  else out.line(`merged ${n} shards: ${total} instances in ${o.out}`);
  return EXIT_OK;
}
