import { basename } from "node:path";
import { UsageError } from "../errors.js";
import { type ResultRow, type RunSpec, readRun } from "../eval/spec.js";

/** One results directory as a report shows it: a model's name, its run and rows. */
export interface ReportRun {
  readonly name: string;
  readonly dir: string;
  readonly spec: RunSpec;
  readonly rows: readonly ResultRow[];
}

/** Reads the runs, naming each by --names or its model's directory name (made unique). */
export function readReportRuns(dirs: readonly string[], names?: readonly string[]): ReportRun[] {
  if (dirs.length === 0)
    throw new UsageError("name at least one results directory (from rho eval or rho merge)");
  if (names && names.length !== dirs.length)
    throw new UsageError(`--names gives ${names.length} names for ${dirs.length} results directories`);
  const used = new Map<string, number>();
  return dirs.map((dir, i) => {
    const { spec, rows } = readRun(dir);
    if (spec.shard !== null)
      throw new UsageError(`${dir} is shard ${spec.shard} of a run: join the shards with rho merge first`);
    let name = names?.[i] ?? basename(spec.model.path);
    const n = used.get(name) ?? 0;
    used.set(name, n + 1);
    if (n > 0) name = `${name} (${n + 1})`;
    return { name, dir, spec, rows };
  });
}

/** The attacks of all runs, in the order they first appear. */
export const reportAttacks = (runs: readonly ReportRun[]): string[] => [
  ...new Set(runs.flatMap((r) => r.spec.attacks.filter((a) => a.family !== "bound").map((a) => a.name))),
];

/** An attack's family as the runs recorded it (minimum-distance unless a run says otherwise). */
export const attackFamily = (
  runs: readonly ReportRun[],
  attack: string,
): "minimum-distance" | "fixed-epsilon" =>
  (runs.flatMap((r) => r.spec.attacks).find((a) => a.name === attack)?.family ?? "minimum-distance") as
    | "minimum-distance"
    | "fixed-epsilon";
