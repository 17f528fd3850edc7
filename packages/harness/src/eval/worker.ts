// A piscina worker for `rho eval`: loads the model, the data and the backend once, then runs
// (attack, point) tasks. Plugins named on the command line are imported here too.
import { pathToFileURL } from "node:url";
import { type AttackContext, type AttackOptions, tfjsContext } from "@rho/attacks";
import { type Dataset, loadDataset } from "@rho/datasets";
import { type BackendName, loadModel, useBackend } from "@rho/models";
import { boundPoint, runPoint } from "./run-point.js";
import type { ResultRow } from "./spec.js";

export interface WorkerSetup {
  readonly modelDir: string;
  readonly dataset: string;
  readonly split: "train" | "test";
  readonly dataDir?: string;
  readonly backend: BackendName | "auto";
  readonly plugins: readonly string[];
}

export interface Task {
  readonly setup: WorkerSetup;
  /** An attack's name, or a certifying method's when `bound`. */
  readonly attack: string;
  readonly bound?: boolean;
  readonly index: number;
  readonly options: AttackOptions;
}

let ready: Promise<{ ctx: AttackContext; data: Dataset }> | undefined;

async function init(setup: WorkerSetup) {
  for (const p of setup.plugins) await import(p.startsWith("file:") ? p : pathToFileURL(p).href);
  await useBackend(setup.backend);
  const net = await loadModel(setup.modelDir);
  return { ctx: await tfjsContext(net), data: loadDataset(setup.dataset, setup.split, setup.dataDir) };
}

export default async function run(task: Task): Promise<ResultRow> {
  ready ??= init(task.setup);
  const { ctx, data } = await ready;
  if (task.bound) return boundPoint(ctx, data, task.attack, task.index, task.options);
  return runPoint(ctx, data, task.attack, task.index, task.options);
}
