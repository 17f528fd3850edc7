import type { Dataset, Split } from "./dataset.js";
import { DatasetError } from "./errors.js";
import { findFile, readMaybeGzipped } from "./files.js";

export const CIFAR10_CLASSES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
] as const;

const SIDE = 32;
const PLANE = SIDE * SIDE;
/** One label byte, then the red, green and blue 32×32 planes. */
export const CIFAR10_RECORD = 1 + 3 * PLANE;

const FILES: Record<Split, string[]> = {
  train: [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`),
  test: ["test_batch.bin"],
};

/** CIFAR-10 from its binary version (`data_batch_1..5.bin`, `test_batch.bin`) in `dir`, as NHWC. */
export function loadCifar10(split: Split, dir: string): Dataset {
  const parts = FILES[split].map((name) => {
    const file = findFile(dir, name);
    const bytes = readMaybeGzipped(file);
    if (bytes.length === 0 || bytes.length % CIFAR10_RECORD !== 0) {
      throw new DatasetError(
        `${file}: ${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD}-byte CIFAR-10 records` +
          ` (${Math.floor(bytes.length / CIFAR10_RECORD)} records and ${bytes.length % CIFAR10_RECORD} bytes over)`,
      );
    }
    return { file, bytes };
  });
  const count = parts.reduce((s, p) => s + p.bytes.length / CIFAR10_RECORD, 0);
  const images = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);
  let i = 0;
  for (const { file, bytes } of parts) {
    for (let off = 0; off < bytes.length; off += CIFAR10_RECORD, i++) {
      const label = bytes[off] as number;
      if (label >= CIFAR10_CLASSES.length) {
        throw new DatasetError(`${file}: record ${off / CIFAR10_RECORD} has label ${label}, not in 0..9`);
      }
      labels[i] = label;
      // planar RGB → interleaved (channels last)
      const base = i * 3 * PLANE;
      for (let p = 0; p < PLANE; p++) {
        images[base + 3 * p] = bytes[off + 1 + p] as number;
        images[base + 3 * p + 1] = bytes[off + 1 + PLANE + p] as number;
        images[base + 3 * p + 2] = bytes[off + 1 + 2 * PLANE + p] as number;
      }
    }
  }
  return {
    name: "cifar10",
    split,
    count,
    height: SIDE,
    width: SIDE,
    channels: 3,
    images,
    labels,
    classes: CIFAR10_CLASSES,
  };
}
