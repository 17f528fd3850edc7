import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CIFAR10_RECORD, image, loadDataset } from "@rho/datasets";
import { Network, prng, saveModel } from "@rho/models";

/**
 * A linear template classifier (weights: each class's mean of 2,000 MNIST training images,
 * centred): its linear region is the whole box, so ALP finds examples fast.
 */
export async function linearModel(inputShape: [number, number, number] = [28, 28, 1]): Promise<string> {
  const n = inputShape[0] * inputShape[1] * inputShape[2];
  const train = loadDataset("mnist", "train");
  const means = new Float64Array(10 * n);
  const counts = new Float64Array(10);
  for (let i = 0; i < 2000; i++) {
    const label = train.labels[i] as number;
    counts[label] = (counts[label] as number) + 1;
    const px = image(train, i);
    for (let p = 0; p < n; p++)
      means[label * n + p] = (means[label * n + p] as number) + (px[p % 784] as number);
  }
  const weights = new Float32Array(n * 10);
  for (let p = 0; p < n; p++) {
    let avg = 0;
    for (let k = 0; k < 10; k++) avg += (means[k * n + p] as number) / (counts[k] as number) / 10;
    for (let k = 0; k < 10; k++)
      weights[p * 10 + k] = ((means[k * n + p] as number) / (counts[k] as number) - avg) / 255;
  }
  const net = new Network({
    inputShape,
    layers: [{ kind: "flatten" }, { kind: "dense", units: 10, weights, bias: new Float32Array(10) }],
  });
  const dir = mkdtempSync(join(tmpdir(), "rho-linear-"));
  await saveModel(net, dir);
  return dir;
}

/**
 * Saves `net` to `modelDir` and writes CIFAR-format files whose labels are the network's own
 * answers (every point is attacked): images of one colour each with some noise, or pure noise.
 */
export async function cifarFiles(
  net: Network,
  modelDir: string,
  images: "colour" | "noise",
  points = 6,
): Promise<string> {
  await saveModel(net, modelDir);
  const dir = mkdtempSync(join(tmpdir(), "rho-cifar-data-"));
  mkdirSync(dir, { recursive: true });
  const rand = prng(11);
  const batch = (n: number) => {
    const bytes = Buffer.alloc(n * CIFAR10_RECORD);
    for (let r = 0; r < n; r++) {
      const base = images === "noise" ? [] : [0, 1, 2].map(() => rand() * 215);
      const planes = Array.from({ length: 3 * 1024 }, (_, k) =>
        images === "noise"
          ? Math.floor(rand() * 256)
          : Math.floor((base[Math.floor(k / 1024)] as number) + rand() * 40),
      );
      // channels last for the network, planar in the file
      const hwc = Array.from(
        { length: 3072 },
        (_, k) => planes[(k % 3) * 1024 + Math.floor(k / 3)] as number,
      );
      bytes[r * CIFAR10_RECORD] = net.predict64(hwc);
      for (let k = 0; k < 3072; k++) bytes[r * CIFAR10_RECORD + 1 + k] = planes[k] as number;
    }
    return bytes;
  };
  writeFileSync(join(dir, "test_batch.bin"), batch(points));
  for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), batch(2));
  return dir;
}
