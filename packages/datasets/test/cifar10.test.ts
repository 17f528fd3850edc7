import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CIFAR10_RECORD, DatasetError, image, loadCifar10, loadDataset } from "../src/index.js";
import { tempDir, writeCifarFile } from "./fixtures.js";

describe("CIFAR-10 binary version", () => {
  it("reads the five training batches in order and converts planar RGB to channels-last", () => {
    const dir = tempDir("cifar");
    for (let k = 1; k <= 5; k++) writeCifarFile(join(dir, `data_batch_${k}.bin`), 3, (k - 1) * 3);
    const d = loadDataset("cifar10", "train", dir);
    expect([d.count, d.height, d.width, d.channels]).toEqual([15, 32, 32, 3]);
    expect(Array.from(d.labels)).toEqual(Array.from({ length: 15 }, (_, i) => i % 10));
    const img = image(d, 7);
    // pixel p, channel c of record i is (i + 50c + p) mod 256
    for (const p of [0, 1, 500, 1023]) {
      expect([img[3 * p], img[3 * p + 1], img[3 * p + 2]]).toEqual(
        [0, 1, 2].map((c) => (7 + 50 * c + p) % 256),
      );
    }
    expect(d.classes[d.labels[1] as number]).toBe("automobile");
  });

  it("reads a gzipped test batch", () => {
    const dir = tempDir("cifar");
    writeCifarFile(join(dir, "plain.bin"), 4);
    writeFileSync(join(dir, "test_batch.bin.gz"), gzipSync(readFileSync(join(dir, "plain.bin"))));
    expect(loadCifar10("test", dir).count).toBe(4);
  });

  it("rejects truncated files and bad labels, naming the file", () => {
    const dir = tempDir("cifar");
    const file = join(dir, "test_batch.bin");
    writeCifarFile(file, 2);
    writeFileSync(file, readFileSync(file).subarray(0, 2 * CIFAR10_RECORD - 100));
    expect(() => loadCifar10("test", dir)).toThrow(DatasetError);
    expect(() => loadCifar10("test", dir)).toThrow(
      /test_batch.bin: 6046 bytes is not a whole number of 3073-byte CIFAR-10 records \(1 records and 2973 bytes over\)/,
    );
    writeCifarFile(file, 2);
    const bytes = readFileSync(file);
    bytes[CIFAR10_RECORD] = 10;
    writeFileSync(file, bytes);
    expect(() => loadCifar10("test", dir)).toThrow(/record 1 has label 10/);
    expect(() => loadCifar10("train", dir)).toThrow(/missing data_batch_1.bin/);
  });
});
