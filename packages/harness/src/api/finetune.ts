// `finetune`: the paper's §5 as a call — rounds of (attack the original training points → add
// the verified, rounded examples with their original labels → continue training at a reduced
// rate). Each round's attack run is an `evaluate` run (workers, resume); each round's model is
// saved with a model card. Calling it again on the same `out` continues after the last round.
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { encodeIdx, readIdx, subset } from "@rho/datasets";
import {
  accuracy,
  type BackendName,
  saveModel,
  type TrainProgress,
  train as trainNetwork,
} from "@rho/models";
import { z } from "zod";
import { attackByName, resolveGiven } from "../attack-options.js";
import { UsageError } from "../errors.js";
import { modelHash, RESULTS_FILE, readResults, splitHash } from "../eval/spec.js";
import { readJsonFile, writeJsonInto } from "../files.js";
import { augmentation, concatImages } from "../finetune/augment.js";
import { configDifferences } from "../finetune/config.js";
import { accuracyPct } from "../format.js";
import { checkFits, chooseBackend, loadNetwork, loadSplit, resolveModel } from "../inputs.js";
import { DEFAULT_EPS, type EvaluateHooks, evaluate } from "./evaluate.js";

export interface FinetuneOptions {
  /** A model folder, an .onnx file, or a shipped model's name. */
  readonly model: string;
  readonly dataset: string;
  readonly dataDir?: string;
  /** The attack that makes the examples, and options over its training options (alp: margin 3). */
  readonly attack: string;
  readonly attackOptions?: Readonly<Record<string, unknown>>;
  /** Rounds T (default 1). */
  readonly rounds?: number;
  /** Training points attacked in every round: the first N, or N drawn with the seed `sample`. */
  readonly trainPoints: number;
  readonly sample?: number;
  /** Original training images trained on (default: the whole split). */
  readonly trainImages?: number;
  /** Adam's learning rate (default 1e-4), epochs per round (1), batch size (64), shuffle seed (1). */
  readonly lr?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly seed?: number;
  readonly target?: "second" | "all" | number;
  /** Fixed-ε attacks' radius unless the attack's options give one (default 20). */
  readonly eps?: number;
  /** The run's directory: round-1/, round-2/, … */
  readonly out: string;
  readonly workers?: number;
  readonly backend?: BackendName | "auto";
}

export interface FinetuneHooks {
  /** One line per stage ("round 1/2: alp on 100 training points"). */
  readonly onInfo?: (text: string) => void;
  /** Hooks of each round's attack run. */
  readonly evaluate?: EvaluateHooks;
  /** Each training batch. */
  readonly onTrainProgress?: (p: TrainProgress) => void;
}

/** What one finished round records (round-r/round.json, written last: its presence marks the round done). */
export interface RoundRecord {
  readonly round: number;
  readonly attack: string;
  /** The options given to the attack (its training options, then the caller's) as key=value. */
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

export interface Finetuning {
  readonly dir: string;
  readonly rounds: readonly RoundRecord[];
  /** Each round's model folder, in order. */
  readonly models: readonly string[];
}

const CONFIG = "finetune.json";
/** The target and ε a run takes when not given: resolved before the run, and stood in for what an older finetune.json leaves out. */
const DEFAULTS = { target: "second", eps: DEFAULT_EPS } as const;
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

type Settings = Required<Pick<FinetuneOptions, "rounds" | "lr" | "epochs" | "batchSize" | "seed">> &
  FinetuneOptions;

function modelCard(o: Settings, rec: RoundRecord, history: readonly RoundRecord[]): string {
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
 * Fine-tunes `model` for `rounds` rounds on `attack`'s examples. Bad input (an unknown attack, bad
 * options, a model that does not fit the data, an `out` holding a run with other settings) throws
 * a UsageError before anything is written.
 */
export async function finetune(options: FinetuneOptions, hooks: FinetuneHooks = {}): Promise<Finetuning> {
  const o: Settings = { rounds: 1, lr: 1e-4, epochs: 1, batchSize: 64, seed: 1, ...options };
  const attack = attackByName(o.attack);
  if (!(o.rounds >= 1)) throw new UsageError(`rounds must be at least 1, got ${o.rounds}`);
  // the attack's training options, then the caller's; checked now, before anything is written
  const given = { ...attack.trainingOptions, ...o.attackOptions };
  const target = o.target ?? DEFAULTS.target;
  const eps = o.eps ?? DEFAULTS.eps;
  resolveGiven([attack], [given], { target, eps });
  const attackOptions = Object.entries(given).map(([k, v]) => `${k}=${v}`);
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
  // what decides the models (finetune/config.ts); where and how fast they are computed (out,
  // workers, backend) does not
  const modelPath = resolveModel(o.model);
  const config = {
    ...o,
    // the values used, not the ones given: `rho reproduce` leaves them to the defaults, the CLI names them
    target,
    eps,
    attackOptions: o.attackOptions ?? {},
    model: modelPath,
    out: undefined,
    workers: undefined,
    backend: undefined,
    modelSha256: await modelHash(modelPath),
    trainSha256: splitHash(train.images, train.labels),
  };
  const configFile = join(dir, CONFIG);
  if (existsSync(configFile)) {
    const stored = readJsonFile(configFile, z.record(z.unknown()), "a rho finetune settings file");
    const differ = configDifferences(stored, config, DEFAULTS);
    if (differ.length)
      throw new UsageError(
        `${o.out} holds a fine-tuning run with other settings: ${differ.join(", ")}; choose a new out (--out)`,
      );
  }
  // written again on every continuation: a file from before the content hashes gains them
  writeJsonInto(dir, CONFIG, config, o.out);
  await chooseBackend(o.backend ?? "auto");

  const history: RoundRecord[] = [];
  const added: { images: Uint8Array; labels: Uint8Array }[] = [];
  let current = o.model;
  for (let r = 1; r <= o.rounds; r++) {
    const rd = roundDir(dir, r);
    const examplesDir = join(rd, "examples");
    const modelDir = roundModel(dir, r);
    const t0 = performance.now();
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
    hooks.onInfo?.(`round ${r}/${o.rounds}: ${o.attack} on ${o.trainPoints} training points`);
    await evaluate(
      {
        model: current,
        dataset: o.dataset,
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        split: "train",
        attacks: [{ name: o.attack, options: given }],
        target,
        points: o.trainPoints,
        ...(o.sample === undefined ? {} : { sample: o.sample }),
        eps,
        out: examplesDir,
        resume: true,
        ...(o.workers === undefined ? {} : { workers: o.workers }),
        ...(o.backend === undefined ? {} : { backend: o.backend }),
      },
      hooks.evaluate,
    );
    const attacked = await loadNetwork(current);
    const aug = augmentation(attacked, readResults(join(examplesDir, RESULTS_FILE)));
    added.push(aug);
    const data = concatImages([original, ...added]);
    hooks.onInfo?.(
      `round ${r}/${o.rounds}: ${aug.verified} verified examples, ${aug.droppedByRounding} dropped by rounding, ` +
        `training on ${data.count} images`,
    );
    const trained = await trainNetwork(attacked, data, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      learningRate: o.lr,
      seed: o.seed + r,
      ...(hooks.onTrainProgress ? { onProgress: hooks.onTrainProgress } : {}),
    });
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
  return { dir, rounds: history, models: history.map((h) => roundModel(dir, h.round)) };
}
