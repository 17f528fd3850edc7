import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ARCHITECTURES,
  accuracy,
  type BackendName,
  loadModel,
  ModelError,
  type Network,
  saveModel,
} from "@rho/models";
import { z } from "zod";
import { EXIT_OK, UsageError } from "../errors.js";
import { readJsonFile } from "../files.js";
import { checkFits, initBackend, loadNetwork, loadSplit } from "../inputs.js";
import type { Output } from "../output.js";
import { epochStatus, trainWithProgress } from "../training.js";

export interface TrainCommandOptions {
  arch: string;
  dataset: string;
  dataDir?: string;
  epochs: number;
  seed: number;
  batchSize: number;
  lr: number;
  out: string;
  resume: boolean;
  /** Whether --lr was given on the command line (on --resume it then replaces the saved rate). */
  lrGiven?: boolean;
  backend: BackendName | "auto";
  json: boolean;
}

interface TrainState {
  arch: string;
  dataset: string;
  seed: number;
  batchSize: number;
  lr: number;
  epochsDone: number;
  history: { epoch: number; loss: number; accuracy: number; seconds: number; lr: number }[];
}

const STATE = "train-state.json";
const trainStateSchema = z
  .object({
    arch: z.string(),
    dataset: z.string(),
    seed: z.number(),
    batchSize: z.number(),
    lr: z.number(),
    epochsDone: z.number().int().nonnegative(),
    history: z.array(
      z.object({
        epoch: z.number(),
        loss: z.number(),
        accuracy: z.number(),
        seconds: z.number(),
        lr: z.number(),
      }),
    ),
  })
  .passthrough();

/** `rho train`: train an architecture from the zoo, saving a tfjs-format checkpoint after every epoch. */
export async function trainCommand(o: TrainCommandOptions, out: Output): Promise<number> {
  const arch = ARCHITECTURES[o.arch];
  if (!arch)
    throw new UsageError(`unknown architecture "${o.arch}"; known: ${Object.keys(ARCHITECTURES).join(", ")}`);
  let net: Network;
  let state: TrainState;
  if (o.resume) {
    if (!existsSync(join(o.out, STATE)))
      throw new UsageError(`--resume: no ${STATE} in ${o.out} (nothing to resume)`);
    state = readJsonFile(join(o.out, STATE), trainStateSchema, "a rho train checkpoint state") as TrainState;
    if (state.arch !== o.arch || state.dataset !== o.dataset) {
      throw new UsageError(
        `--resume: ${o.out} holds ${state.arch} on ${state.dataset}, not ${o.arch} on ${o.dataset}`,
      );
    }
    try {
      net = await loadModel(o.out);
    } catch (e) {
      if (e instanceof ModelError) throw new UsageError(e.message);
      throw e;
    }
    if (o.lrGiven && o.lr !== state.lr) {
      out.info(`learning rate ${state.lr} → ${o.lr} from epoch ${state.epochsDone + 1}`);
      state.lr = o.lr;
    }
    out.info(`resuming after epoch ${state.epochsDone} of ${o.epochs}`);
  } else {
    net = arch.build(o.seed);
    state = {
      arch: o.arch,
      dataset: o.dataset,
      seed: o.seed,
      batchSize: o.batchSize,
      lr: o.lr,
      epochsDone: 0,
      history: [],
    };
  }
  const data = loadSplit(o.dataset, "train", o.dataDir);
  checkFits(net, data, o.arch);
  await initBackend(o.backend, out);
  let epochStart = performance.now();
  const trained = await trainWithProgress(
    net,
    data,
    {
      epochs: o.epochs,
      startEpoch: state.epochsDone,
      batchSize: state.batchSize,
      learningRate: state.lr,
      seed: state.seed,
      onEpochEnd: async (epoch, current, stats) => {
        state.epochsDone = epoch + 1;
        state.history.push({
          epoch: epoch + 1,
          ...stats,
          seconds: (performance.now() - epochStart) / 1000,
          lr: state.lr,
        });
        epochStart = performance.now();
        await saveModel(current, o.out);
        await writeFile(join(o.out, STATE), `${JSON.stringify(state, null, 2)}\n`);
      },
    },
    epochStatus(o.epochs),
  );
  const test = loadSplit(o.dataset, "test", o.dataDir);
  const acc = await accuracy(trained, test);
  const summary = {
    model: o.out,
    arch: o.arch,
    dataset: o.dataset,
    epochs: state.epochsDone,
    history: state.history,
    testAccuracy: acc.accuracy,
  };
  if (o.json) out.json(summary);
  else
    out.line(
      `${o.arch} on ${o.dataset}: ${state.epochsDone} epochs, test accuracy ${(100 * acc.accuracy).toFixed(2)}% (${acc.correct}/${acc.total}); saved to ${o.out}`,
    );
  return EXIT_OK;
}

export interface AccuracyOptions {
  model: string;
  dataset: string;
  dataDir?: string;
  split: "train" | "test";
  backend: BackendName | "auto";
  json: boolean;
}

/** `rho accuracy`: accuracy of a saved model on a dataset split. */
export async function accuracyCommand(o: AccuracyOptions, out: Output): Promise<number> {
  const net = await loadNetwork(o.model);
  const data = loadSplit(o.dataset, o.split, o.dataDir);
  checkFits(net, data);
  await initBackend(o.backend, out);
  const acc = await accuracy(net, data);
  if (o.json) out.json({ model: o.model, dataset: o.dataset, split: o.split, ...acc });
  else
    out.line(
      `accuracy on ${o.dataset} ${o.split}: ${(100 * acc.accuracy).toFixed(2)}% (${acc.correct}/${acc.total})`,
    );
  return EXIT_OK;
}
