import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { attackNames, getAttack } from "@rho/attacks";
import { encodeIdx, readIdx, subset } from "@rho/datasets";
import { accuracy, type BackendName, saveModel } from "@rho/models";
import { z } from "zod";
import { attacksByName, attackOptions as checkOptions, parseTarget } from "../attack-options.js";
import { EXIT_OK, UsageError } from "../errors.js";
import { RESULTS_FILE, readResults } from "../eval/spec.js";
import { readJsonFile, writeJsonInto } from "../files.js";
import { augmentation, concatImages } from "../finetune/augment.js";
import { accuracyPct } from "../format.js";
import { checkFits, initBackend, loadNetwork, loadSplit, resolveModel } from "../inputs.js";
import { nested, type Output } from "../output.js";
import { epochStatus, trainWithProgress } from "../training.js";
import { evalCommand } from "./eval.js";

export interface FinetuneOptions {
  model: string;
  dataset: string;
  dataDir?: string;
  attack: string;
  rounds: number;
  trainPoints: number;
  sample?: number;
  trainImages?: number;
  lr: number;
  epochs: number;
  batchSize: number;
  seed: number;
  solver?: string;
  target: string;
  eps: number;
  workers: number;
  opt?: string[];
  out: string;
  backend: BackendName | "auto";
  json: boolean;
}

/** What one finished round records (round-r/round.json, written last: its presence marks the round done). */
export interface RoundRecord {
  readonly round: number;
  readonly attack: string;
  readonly attackOptions: readonly string[];
  readonly trainPoints: number;
  /** Verified adversarial examples the attack found on the training points. */
  readonly verified: number;
  /** Of those, made non-adversarial by rounding to whole pixels and dropped. */
  readonly droppedByRounding: number;
  /** Added to the training set this round. */
  readonly added: number;
  /** Training images this round: the original ones plus every example kept so far. */
  readonly trainingImages: number;
  readonly testAccuracy: number;
  readonly seconds: number;
}

const CONFIG = "finetune.json";
const roundSchema = z
  .object({
    round: z.number().int(),
    attack: z.string(),
    attackOptions: z.array(z.string()),
    trainPoints: z.number(),
    verified: z.number(),
    droppedByRounding: z.number(),
    added: z.number(),
    trainingImages: z.number(),
    testAccuracy: z.number(),
    seconds: z.number(),
  })
  .passthrough();
const ROUND = "round.json";
/** A round's kept examples and their labels, as IDX files (MNIST's format). */
const ADDED_IMAGES = "added-images.idx";
const ADDED_LABELS = "added-labels.idx";
const roundDir = (out: string, r: number): string => join(out, `round-${r}`);
export const roundModel = (out: string, r: number): string => join(roundDir(out, r), "model");

/** A round's cells in the tables: verified, dropped by rounding, added, training images, test accuracy. */
export const roundCells = (h: RoundRecord): string[] => [
  String(h.verified),
  String(h.droppedByRounding),
  String(h.added),
  String(h.trainingImages),
  accuracyPct(h.testAccuracy),
];
export const ROUND_HEAD = "verified examples | dropped by rounding | added | training images | test accuracy";

function modelCard(o: FinetuneOptions, rec: RoundRecord, history: readonly RoundRecord[]): string {
  return `# ${o.model} fine-tuned with ${o.attack} adversarial examples, round ${rec.round} of ${o.rounds}

Made by \`rho finetune\` (Bastani et al. 2016, §5): in each round the attack ran on the same
${o.trainPoints} original training points of ${o.dataset} against the previous round's model; its
verified examples, rounded to whole pixels and still adversarial, were added with their points'
original labels, and training continued on the original images plus every example kept so far.

| setting | value |
|---|---|
| base model | ${o.model} |
| attack | ${o.attack} ${rec.attackOptions.join(" ")} |
| training points attacked | ${o.trainPoints}${o.sample === undefined ? " (the first)" : ` (sampled, seed ${o.sample})`} |
| original training images | ${o.trainImages ?? "all"} |
| learning rate, epochs per round, batch | ${o.lr}, ${o.epochs}, ${o.batchSize} |

| round | ${ROUND_HEAD} |
|---|---|---|---|---|---|
${history.map((h) => `| ${h.round} | ${roundCells(h).join(" | ")} |`).join("\n")}
`;
}

/**
 * `rho finetune`: rounds of (attack the original training points → add the verified, rounded
 * examples with their original labels → continue training at a reduced rate). Each round's
 * attack run is an eval run (worker pool, progress, resume); each round's model is saved with a
 * model card. Re-running the same command continues after the last finished round.
 */
export async function runFinetune(o: FinetuneOptions, out: Output): Promise<RoundRecord[]> {
  if (!attackNames().includes(o.attack))
    throw new UsageError(`unknown attack "${o.attack}"; known attacks: ${attackNames().join(", ")}`);
  if (!(o.rounds >= 1)) throw new UsageError(`--rounds must be at least 1, got ${o.rounds}`);
  // the attack's training options, then the user's; checked now, before anything is written
  // (each round's eval checks them again)
  const attackOptions = [
    ...Object.entries(getAttack(o.attack).trainingOptions ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(o.opt ?? []),
  ];
  checkOptions(attacksByName([o.attack]), {
    named: { solver: o.solver },
    pairs: attackOptions,
    target: parseTarget(o.target),
    eps: o.eps,
  });
  const base = await loadNetwork(o.model);
  const train = loadSplit(o.dataset, "train", o.dataDir);
  const test = loadSplit(o.dataset, "test", o.dataDir);
  checkFits(base, train);
  const original =
    o.trainImages === undefined || o.trainImages >= train.count
      ? train
      : subset(
          train,
          Array.from({ length: o.trainImages }, (_, i) => i),
        );

  const dir = resolve(o.out);
  // what decides the models; where and how fast they are computed (workers, backend) does not
  const config = {
    ...o,
    model: resolveModel(o.model),
    out: undefined,
    json: undefined,
    workers: undefined,
    backend: undefined,
  };
  const configFile = join(dir, CONFIG);
  if (existsSync(configFile)) {
    const old = readFileSync(configFile, "utf8");
    if (old !== `${JSON.stringify(config, null, 2)}\n`)
      throw new UsageError(`${o.out} holds a fine-tuning run with other settings; choose a new --out`);
  } else writeJsonInto(dir, CONFIG, config, o.out);
  await initBackend(o.backend, out);
  // the eval runs print their summaries; here they are progress, so they go to stderr

  const history: RoundRecord[] = [];
  const added: { images: Uint8Array; labels: Uint8Array }[] = [];
  let current = o.model;
  for (let r = 1; r <= o.rounds; r++) {
    const rd = roundDir(dir, r);
    const examplesDir = join(rd, "examples");
    const modelDir = roundModel(dir, r);
    const t0 = performance.now();
    if (!existsSync(join(rd, ROUND))) {
      out.info(`round ${r}/${o.rounds}: ${o.attack} on ${o.trainPoints} training points`);
      await evalCommand(
        {
          model: current,
          dataset: o.dataset,
          ...(o.dataDir ? { dataDir: o.dataDir } : {}),
          split: "train",
          attacks: o.attack,
          ...(o.solver ? { solver: o.solver } : {}),
          target: o.target,
          points: o.trainPoints,
          ...(o.sample === undefined ? {} : { sample: o.sample }),
          eps: o.eps,
          out: examplesDir,
          resume: true,
          workers: o.workers,
          opt: attackOptions,
          backend: o.backend,
          json: false,
        },
        nested(out),
      );
    }
    if (existsSync(join(rd, ROUND))) {
      // a finished round: its kept examples are on disk
      history.push(readJsonFile(join(rd, ROUND), roundSchema, "a rho finetune round record") as RoundRecord);
      added.push({
        images: readIdx(join(rd, ADDED_IMAGES), 4).data,
        labels: readIdx(join(rd, ADDED_LABELS), 1).data,
      });
      current = modelDir;
      continue;
    }
    const attacked = await loadNetwork(current);
    const aug = augmentation(attacked, readResults(join(examplesDir, RESULTS_FILE)));
    added.push(aug);
    const data = concatImages([original, ...added]);
    out.info(
      `round ${r}/${o.rounds}: ${aug.verified} verified examples, ${aug.droppedByRounding} dropped by rounding, ` +
        `training on ${data.count} images`,
    );
    const trained = await trainWithProgress(
      attacked,
      data,
      { epochs: o.epochs, batchSize: o.batchSize, learningRate: o.lr, seed: o.seed + r },
      epochStatus(o.epochs),
    );
    const testAccuracy = (await accuracy(trained, test)).accuracy;
    const rec: RoundRecord = {
      round: r,
      attack: o.attack,
      attackOptions,
      trainPoints: o.trainPoints,
      verified: aug.verified,
      droppedByRounding: aug.droppedByRounding,
      added: aug.labels.length,
      trainingImages: data.count,
      testAccuracy,
      seconds: (performance.now() - t0) / 1000,
    };
    history.push(rec);
    // the model and its card first (via a temporary directory), round.json last
    const tmp = `${modelDir}.partial`;
    rmSync(tmp, { recursive: true, force: true });
    await saveModel(trained, tmp);
    writeFileSync(join(tmp, "MODEL_CARD.md"), modelCard(o, rec, history));
    rmSync(modelDir, { recursive: true, force: true });
    renameSync(tmp, modelDir);
    writeFileSync(
      join(rd, ADDED_IMAGES),
      encodeIdx([aug.labels.length, train.height, train.width, train.channels], aug.images),
    );
    writeFileSync(join(rd, ADDED_LABELS), encodeIdx([aug.labels.length], aug.labels));
    writeFileSync(join(rd, ROUND), `${JSON.stringify(rec, null, 2)}\n`);
    // the next round loads this model from disk: it attacks exactly what was saved
    current = modelDir;
  }
  return history;
}

/** `rho finetune`: the rounds, then their table (or JSON). */
export async function finetuneCommand(o: FinetuneOptions, out: Output): Promise<number> {
  const history = await runFinetune(o, out);
  const dropped = history.reduce((t, h) => t + h.droppedByRounding, 0);
  const verified = history.reduce((t, h) => t + h.verified, 0);
  if (o.json)
    out.json({
      out: o.out,
      attack: o.attack,
      rounds: history,
      models: history.map((h) => roundModel(o.out, h.round)),
    });
  else {
    out.line(`| round | ${ROUND_HEAD} | model |`);
    out.line("|---|---|---|---|---|---|---|");
    for (const h of history)
      out.line(`| ${h.round} | ${roundCells(h).join(" | ")} | ${roundModel(o.out, h.round)} |`);
    out.line(
      `rounding dropped ${dropped} of ${verified} verified examples (${verified ? ((100 * dropped) / verified).toFixed(1) : "0.0"}%; the paper saw 8.3%)`,
    );
  }
  return EXIT_OK;
}
