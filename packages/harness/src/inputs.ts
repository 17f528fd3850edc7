// Loading what the user names on the command line — models, datasets, points — with errors
// that become one line and exit code 2.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Dataset, DatasetError, datasetEntries, image, loadDataset } from "@rho/datasets";
import {
  type BackendName,
  type LoadOptions,
  loadModel,
  ModelError,
  type Network,
  type Preprocess,
  useBackend,
} from "@rho/models";
import { UsageError } from "./errors.js";
import type { Output } from "./output.js";

/** Models shipped in the repository's models/ folder, usable by name. */
export const SHIPPED_MODELS: Record<string, string> = {
  lenet: fileURLToPath(new URL("../../../models/lenet-mnist", import.meta.url)),
  mlp: fileURLToPath(new URL("../../../models/mlp-mnist", import.meta.url)),
  nin: fileURLToPath(new URL("../../../models/nin-cifar10", import.meta.url)),
};

/** A model directory or .onnx file, or the name of a shipped model. */
export function resolveModel(nameOrDir: string): string {
  if (existsSync(nameOrDir)) return nameOrDir;
  const shipped = SHIPPED_MODELS[nameOrDir];
  if (shipped) return shipped;
  throw new UsageError(
    `no model directory or file "${nameOrDir}"; shipped models: ${Object.keys(SHIPPED_MODELS).join(", ")}`,
  );
}

/** Loads a model directory or shipped model; a corrupt model is a usage error. */
export async function loadNetwork(
  nameOrDir: string,
  preprocess?: Preprocess,
  opts: LoadOptions = {},
): Promise<Network> {
  try {
    return await loadModel(resolveModel(nameOrDir), preprocess, opts);
  } catch (e) {
    if (e instanceof ModelError) throw new UsageError(e.message);
    throw e;
  }
}

export function loadSplit(name: string, split: "train" | "test", dir?: string): Dataset {
  try {
    return loadDataset(name, split, dir);
  } catch (e) {
    if (e instanceof DatasetError) throw new UsageError(e.message);
    throw e;
  }
}

/** Refuses a model whose input shape does not fit the dataset's images. */
export function checkFits(net: Network, data: Dataset, what = "the model"): void {
  if (data.height * data.width * data.channels !== net.inputSize) {
    const fitting = datasetEntries()
      .filter((e) => e.shape && e.shape[0] * e.shape[1] * e.shape[2] === net.inputSize)
      .map((e) => `--dataset ${e.name}`);
    throw new UsageError(
      `${what} takes ${net.inputShape.join("×")} inputs; ${data.name} images are ${data.height}×${data.width}×${data.channels}${fitting.length ? ` (try ${fitting.join(" or ")})` : ""}`,
    );
  }
}

/** The model and one point of a split, for the one-point commands (attack, bound); bad input is a usage error. */
export async function loadPoint(o: {
  model: string;
  dataset: string;
  split: "train" | "test";
  dataDir?: string;
  index: number;
}): Promise<{ net: Network; data: Dataset; pixels: Uint8Array; label: number }> {
  const net = await loadNetwork(o.model);
  const data = loadSplit(o.dataset, o.split, o.dataDir);
  checkFits(net, data);
  if (!(o.index >= 0 && o.index < data.count))
    throw new UsageError(`--index ${o.index} is not in 0..${data.count - 1} of ${o.dataset} ${o.split}`);
  return { net, data, pixels: image(data, o.index), label: data.labels[o.index] as number };
}

/** Sets the TensorFlow.js backend and says which it is (e.g. "wasm"); an unknown one is a usage error. */
export async function chooseBackend(name: BackendName | "auto"): Promise<string> {
  try {
    const choice = await useBackend(name);
    return `${choice.backend}${choice.module ? ` (${choice.module})` : ""}`;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export async function initBackend(name: BackendName | "auto", out: Output): Promise<void> {
  out.info(`backend: ${await chooseBackend(name)}`);
}
