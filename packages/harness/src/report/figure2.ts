// Figure 2: original, adversarial and scaled perturbation for a few points of a run.
import { type Dataset, image, loadDataset } from "@rho/datasets";
import { decodeExample, type ResultRow, splitHash } from "../eval/spec.js";
import { fileSlug } from "../format.js";
import { comparisonPng } from "../images.js";
import type { ReportRun } from "./runs.js";

export interface ExampleImage {
  /** File name inside the report's figure2/ directory. */
  readonly file: string;
  readonly png: Buffer;
  readonly model: string;
  readonly attack: string;
  readonly index: number;
  readonly label: number;
  /** The example's label. */
  readonly adversarialLabel: number;
  readonly rho: number;
}

/**
 * The points to show: those with verified examples from the most attacks (so attacks can be
 * compared on the same digit), then the smallest ρ̂; at most `count` points.
 */
export function chooseExamples(rows: readonly ResultRow[], count: number): ResultRow[][] {
  const byPoint = new Map<number, ResultRow[]>();
  for (const r of rows)
    if (r.verified && r.example !== undefined && r.rho !== null)
      byPoint.set(r.index, [...(byPoint.get(r.index) ?? []), r]);
  const minRho = (rs: ResultRow[]) => Math.min(...rs.map((r) => r.rho as number));
  return [...byPoint.values()]
    .sort((a, b) => b.length - a.length || minRho(a) - minRho(b) || (a[0]?.index ?? 0) - (b[0]?.index ?? 0))
    .slice(0, count);
}

/** A loaded split with its hash, or why it could not be loaded. */
type Loaded = { data: Dataset; sha256: string } | string;

/**
 * Loads the run's split (once per split and directory, however many runs share it) and checks it
 * is the data the run saw; a reason string when it cannot.
 */
export function runData(
  run: ReportRun,
  dataDir?: string,
  cache = new Map<string, Loaded>(),
): Dataset | string {
  const { name, split, sha256 } = run.spec.dataset;
  const dir = dataDir ?? run.spec.dataset.dataDir ?? undefined;
  const key = JSON.stringify([name, split, dir]);
  let loaded = cache.get(key);
  if (loaded === undefined) {
    try {
      const data = loadDataset(name, split as "train" | "test", dir);
      loaded = { data, sha256: splitHash(data.images, data.labels) };
    } catch (e) {
      loaded = `cannot load ${name} ${split}: ${(e as Error).message}`;
    }
    cache.set(key, loaded);
  }
  if (typeof loaded === "string") return loaded;
  if (loaded.sha256 !== sha256)
    return `the ${name} ${split} found here is not the data ${run.dir} was evaluated on (sha256 differs)`;
  return loaded.data;
}

export function exampleImages(run: ReportRun, data: Dataset, count: number): ExampleImage[] {
  const order = run.spec.attacks.map((a) => a.name);
  return chooseExamples(run.rows, count).flatMap((rows) =>
    [...rows]
      .sort((a, b) => order.indexOf(a.attack) - order.indexOf(b.attack))
      .map((r) => ({
        file: `${fileSlug(run.name)}-${r.index}-${fileSlug(r.attack)}.png`,
        png: comparisonPng(data, image(data, r.index), decodeExample(r.example as string)),
        model: run.name,
        attack: r.attack,
        index: r.index,
        label: r.label,
        adversarialLabel: r.exampleLabel ?? -1,
        rho: r.rho as number,
      })),
  );
}
