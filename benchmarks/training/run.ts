// Benchmark: LeNet training and inference throughput (images/s) on each available tfjs backend.
// Run: npm run bench:training -- --help
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { loadMnist, subset } from "@rho/datasets";
import { chooseBackend, lenet, predictLabels, train, useBackend } from "@rho/models";

const { values: args } = parseArgs({
  options: {
    backends: { type: "string", default: "wasm,cpu,tensorflow" },
    "train-images": { type: "string", default: "4096" },
    "cpu-train-images": { type: "string", default: "32" },
    "infer-images": { type: "string", default: "8192" },
    "batch-size": { type: "string", default: "64" },
    reps: { type: "string", default: "3" },
    out: { type: "string", default: "benchmarks/training/out/training.json" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`usage: npm run bench:training -- [options]
  --backends wasm,cpu,tensorflow  backends to try (tensorflow only when tfjs-node(-gpu) is installed)
  --train-images N                MNIST training images per timed epoch (default 4096; cpu: --cpu-train-images, 32)
  --infer-images N                test images per timed inference pass (default 8192; cpu: an eighth)
  --batch-size N                  training batch size (default 64)
  --reps N                        timed repetitions; the median is reported (default 3)
  --out FILE                      JSON output`);
  process.exit(0);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const reps = Number(args.reps);
const trainSet = loadMnist("train");
const testSet = loadMnist("test");
const rows: {
  backend: string;
  status: string;
  trainImagesPerSecond?: number;
  inferImagesPerSecond?: number;
  trainImages?: number;
  inferImages?: number;
}[] = [];

for (const backend of args.backends.split(",") as ("wasm" | "cpu" | "tensorflow")[]) {
  if (backend === "tensorflow") {
    const choice = await chooseBackend("auto");
    if (choice.backend !== "tensorflow") {
      rows.push({ backend, status: "not installed (@tensorflow/tfjs-node or -gpu)" });
      continue;
    }
  }
  await useBackend(backend);
  const nTrain = backend === "cpu" ? Number(args["cpu-train-images"]) : Number(args["train-images"]);
  const nInfer =
    backend === "cpu" ? Math.max(256, Number(args["infer-images"]) / 8) : Number(args["infer-images"]);
  const trainData = subset(
    trainSet,
    Array.from({ length: nTrain }, (_, i) => i),
  );
  const inferData = subset(
    testSet,
    Array.from({ length: Math.min(nInfer, testSet.count) }, (_, i) => i),
  );
  const net = lenet(1);
  // one warm-up epoch, then timed ones (each on a fresh model is not needed: speed does not depend on the weights)
  const trainSpeeds: number[] = [];
  let trained = net;
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    trained = await train(trained, trainData, { epochs: 1, batchSize: Number(args["batch-size"]) });
    if (r > 0) trainSpeeds.push(nTrain / ((performance.now() - t0) / 1000));
  }
  const inferSpeeds: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    await predictLabels(trained, inferData);
    if (r > 0) inferSpeeds.push(inferData.count / ((performance.now() - t0) / 1000));
  }
  rows.push({
    backend,
    status: "ok",
    trainImagesPerSecond: median(trainSpeeds),
    inferImagesPerSecond: median(inferSpeeds),
    trainImages: nTrain,
    inferImages: inferData.count,
  });
  process.stderr.write(`${backend} done\n`);
}

console.log("| backend | LeNet training, images/s | LeNet inference, images/s | notes |");
console.log("|---|---|---|---|");
for (const r of rows) {
  const f = (v?: number) => (v === undefined ? "—" : v.toFixed(0));
  console.log(
    `| ${r.backend} | ${f(r.trainImagesPerSecond)} | ${f(r.inferImagesPerSecond)} | ${r.status === "ok" ? `median of ${reps}; ${r.trainImages} train / ${r.inferImages} test images, batch ${args["batch-size"]}` : r.status} |`,
  );
}
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(
  args.out,
  `${JSON.stringify({ benchmark: "training", date: new Date().toISOString(), machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version }, settings: args, rows }, null, 2)}\n`,
);
console.log(`JSON: ${args.out}`);
