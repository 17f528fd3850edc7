import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { concatBytes } from "./bytes.js";
import { ModelError } from "./errors.js";
import { fromLayersArtifacts, type LayersArtifacts, toLayersArtifacts, type WeightSpec } from "./keras.js";
import { fileInModelFolder, readRange } from "./model-folder.js";
import type { Network } from "./network.js";
import { fromOnnx, type InputLayout } from "./onnx/import.js";
import { decodeModel } from "./onnx/proto.js";
import type { Preprocess } from "./preprocess.js";

/** rho's sidecar next to model.json: how raw pixels map to the model's input. */
export const RHO_METADATA = "rho.json";
/** rho.json's format for a graph (layers that read other values than the one before). */
export const RHO_GRAPH_FORMAT = 2;

interface ModelJson {
  format?: string;
  modelTopology?: LayersArtifacts["modelTopology"];
  weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
}

export interface LoadOptions {
  /** ONNX: the graph output that holds the logits (needed when the graph has several). */
  readonly output?: string;
  /** ONNX: how a 4-D input holds its image, where the graph does not say (a Flatten first). */
  readonly inputLayout?: InputLayout;
}

/**
 * Loads a TensorFlow.js layers model (`model.json` + weight shards, what `model.save('file://…')`
 * writes) from a directory or a model.json path. The input mapping comes from `preprocess`, else
 * from rho.json beside it, else pixel/255.
 */
export async function loadModel(
  path: string,
  preprocess?: Preprocess,
  opts: LoadOptions = {},
): Promise<Network> {
  if (path.toLowerCase().endsWith(".onnx")) return loadOnnx(path, preprocess, opts);
  const file = basename(path).endsWith(".json") ? path : join(path, "model.json");
  const dir = dirname(file);
  const json = (await readJson<ModelJson>(file, "model")) as ModelJson;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelError(
      `${file}: not a TensorFlow.js layers model (needs modelTopology and weightsManifest)`,
    );
  }
  for (const group of json.weightsManifest as unknown[]) {
    const g = group as { paths?: unknown; weights?: unknown } | null;
    if (
      typeof g !== "object" ||
      g === null ||
      !Array.isArray(g.paths) ||
      !g.paths.every((p) => typeof p === "string") ||
      !Array.isArray(g.weights)
    )
      throw new ModelError(
        `${file}: every weightsManifest entry needs "paths" (strings) and "weights" (a list)`,
      );
  }
  const specs: WeightSpec[] = [];
  const shards: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const shard = fileInModelFolder(dir, p, `${file}: weight shard`);
      shards.push(readRange(shard, 0, shard.size, `${file}: weight shard ${JSON.stringify(p)}`));
    }
  }
  const pre = preprocess ?? (await readPreprocess(dir));
  try {
    return fromLayersArtifacts(
      { modelTopology: json.modelTopology, weightSpecs: specs, weightData: concatBytes(shards) },
      pre,
    );
  } catch (e) {
    throw new ModelError(`${file}: ${(e as Error).message}`);
  }
}

/**
 * The files a model is loaded from, each with the name it is known by: for a TensorFlow.js model
 * model.json and its weight shards, for ONNX the .onnx and its external data files; and rho.json
 * when present. What a run's identity hashes.
 */
export async function modelFiles(path: string): Promise<{ name: string; path: string }[]> {
  const files: { name: string; path: string }[] = [];
  let dir: string;
  if (path.toLowerCase().endsWith(".onnx")) {
    dir = dirname(path);
    files.push({ name: basename(path), path });
    const model = decodeModel(new Uint8Array(await readFile(path)), path);
    const locations = new Set<string>();
    for (const t of model.graph?.initializer ?? [])
      for (const e of t.externalData ?? []) if (e.key === "location" && e.value) locations.add(e.value);
    for (const l of [...locations].sort())
      files.push({ name: l, path: fileInModelFolder(dir, l, `${path}: external data`).path });
  } else {
    const file = basename(path).endsWith(".json") ? path : join(path, "model.json");
    dir = dirname(file);
    files.push({ name: "model.json", path: file });
    const json = (await readJson<ModelJson>(file, "model")) as ModelJson;
    for (const group of json.weightsManifest ?? [])
      for (const p of group.paths ?? [])
        files.push({ name: p, path: fileInModelFolder(dir, p, `${file}: weight shard`).path });
  }
  const meta = join(dir, RHO_METADATA);
  if (existsSync(meta)) files.push({ name: RHO_METADATA, path: meta });
  return files;
}

/** The input mapping in rho.json in `dir`, if there is one. */
async function readPreprocess(dir: string): Promise<Preprocess | undefined> {
  const meta = await readJson<{ preprocess?: Preprocess; format?: unknown }>(
    join(dir, RHO_METADATA),
    "metadata",
    true,
  );
  if (meta?.format !== undefined && meta.format !== 1 && meta.format !== RHO_GRAPH_FORMAT)
    throw new ModelError(
      `${join(dir, RHO_METADATA)}: format ${JSON.stringify(meta.format)} is not one this rho reads (1: a chain of layers, 2: a graph); a newer rho wrote it?`,
    );
  const pre = meta?.preprocess;
  if (pre !== undefined && !validPreprocess(pre))
    throw new ModelError(
      `${join(dir, RHO_METADATA)}: "preprocess" must be {"scale": [numbers], "shift": [numbers]} of equal length`,
    );
  return pre;
}

/**
 * An ONNX model (what torch.onnx.export writes), with external data files beside it; rho.json in
 * the same folder (or `preprocess`) maps pixels to its input, before any arithmetic in the model.
 */
async function loadOnnx(
  file: string,
  preprocess: Preprocess | undefined,
  opts: LoadOptions,
): Promise<Network> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new ModelError(
      `${file}: cannot read the model file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const dir = dirname(file);
  const pre = preprocess ?? (await readPreprocess(dir));
  try {
    return fromOnnx(decodeModel(bytes, file), dir, file, pre, opts.output, opts.inputLayout);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(`${file}: ${(e as Error).message}`);
  }
}

/** Saves the network as model.json + weights.bin (loadable by tf.loadLayersModel) and rho.json. */
export async function saveModel(net: Network, dir: string): Promise<void> {
  const art = toLayersArtifacts(net);
  await mkdir(dir, { recursive: true });
  const modelJson = {
    format: "layers-model",
    generatedBy: "rho",
    convertedBy: null,
    modelTopology: art.modelTopology,
    weightsManifest: [{ paths: ["weights.bin"], weights: art.weightSpecs }],
  };
  await writeFile(join(dir, "weights.bin"), new Uint8Array(art.weightData));
  // format 2: a graph (a functional topology); chains stay format 1, written without the field as
  // before, so that their files (and the runs that hash them) are unchanged
  const meta = { preprocess: net.preprocess, ...(net.chain ? {} : { format: RHO_GRAPH_FORMAT }) };
  await writeFile(join(dir, RHO_METADATA), `${JSON.stringify(meta, null, 2)}\n`);
  await writeFile(join(dir, "model.json"), `${JSON.stringify(modelJson)}\n`);
}

async function readJson<T>(file: string, what: string, optional = false): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ModelError(
      `${file}: cannot read the ${what} file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ModelError(
      `${file}: the ${what} file must hold a JSON object, not ${value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`}`,
    );
  return value as T;
}

const numbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isFinite(x));
function validPreprocess(p: unknown): p is Preprocess {
  const q = p as { scale?: unknown; shift?: unknown } | null;
  return (
    typeof q === "object" &&
    q !== null &&
    numbers(q.scale) &&
    numbers(q.shift) &&
    q.scale.length === q.shift.length &&
    q.scale.length > 0
  );
}
