import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { image, loadDataset } from "@rho/datasets";
import { Network, saveModel } from "@rho/models";

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
