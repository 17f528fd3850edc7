import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CIFAR10_RECORD, encodeIdx } from "../src/index.js";

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `rho-${prefix}-`));

/** Writes a small MNIST-format split (n images of h×w) whose pixel (i, p) is (i·7 + p) mod 256. */
export function writeIdxSplit(
  dir: string,
  split: "train" | "test",
  n: number,
  h: number,
  w: number,
  gzip: boolean,
) {
  const prefix = split === "train" ? "train" : "t10k";
  const pixels = Uint8Array.from(
    { length: n * h * w },
    (_, k) => (Math.floor(k / (h * w)) * 7 + (k % (h * w))) % 256,
  );
  const labels = Uint8Array.from({ length: n }, (_, i) => (i * 3) % 10);
  const write = (name: string, bytes: Uint8Array) =>
    writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  write(`${prefix}-images-idx3-ubyte`, encodeIdx([n, h, w], pixels));
  write(`${prefix}-labels-idx1-ubyte`, encodeIdx([n], labels));
  return { pixels, labels };
}

/** Writes a CIFAR-10 binary file of n records; record i has label i mod 10 and channel c of pixel p = (i + c·50 + p) mod 256. */
export function writeCifarFile(path: string, n: number, firstIndex = 0): void {
  const out = new Uint8Array(n * CIFAR10_RECORD);
  for (let r = 0; r < n; r++) {
    const i = firstIndex + r;
    out[r * CIFAR10_RECORD] = i % 10;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 1024; p++) out[r * CIFAR10_RECORD + 1 + c * 1024 + p] = (i + c * 50 + p) % 256;
    }
  }
  writeFileSync(path, out);
}
