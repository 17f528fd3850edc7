import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { registerWasmTrainingKernels } from "./wasm-kernels.js";

export type BackendName = "wasm" | "cpu" | "tensorflow";
export const BACKENDS: readonly BackendName[] = ["wasm", "cpu", "tensorflow"];

/** How optional modules are imported; injectable so tests can simulate them being present or absent. */
export type Importer = (specifier: string) => Promise<unknown>;
const defaultImporter: Importer = (s) => import(s);

/** The native TensorFlow bindings, GPU first. Neither can be installed on machines without network access to its binaries. */
const NATIVE = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

export interface BackendChoice {
  readonly backend: BackendName;
  /** For "tensorflow", which package provided it. */
  readonly module?: string;
}

async function findNative(importer: Importer): Promise<string | undefined> {
  for (const m of NATIVE) {
    try {
      await importer(m);
      return m;
    } catch {
      // not installed: try the next one
    }
  }
  return undefined;
}

/**
 * Picks the tensor backend: "auto" (the default) uses native TensorFlow when
 * @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node is installed, else WebAssembly.
 * Importing a native package registers its "tensorflow" backend with tfjs.
 */
export async function chooseBackend(
  name: BackendName | "auto" = "auto",
  importer: Importer = defaultImporter,
): Promise<BackendChoice> {
  if (name === "cpu" || name === "wasm") return { backend: name };
  const native = await findNative(importer);
  if (native) return { backend: "tensorflow", module: native };
  if (name === "tensorflow") {
    throw new Error(
      `backend "tensorflow" needs ${NATIVE.join(" or ")}, and neither is installed; use wasm (default) or cpu`,
    );
  }
  return { backend: "wasm" };
}

let wasmReady = false;

/** Selects and initialises the backend; returns what was chosen. */
export async function useBackend(
  name: BackendName | "auto" = "auto",
  importer: Importer = defaultImporter,
): Promise<BackendChoice> {
  const choice = await chooseBackend(name, importer);
  if (choice.backend === "wasm" && !wasmReady) {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    // In Node the .wasm binaries are read from the package's dist folder, never fetched.
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(
      `${join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist")}/`,
    );
    registerWasmTrainingKernels();
    wasmReady = true;
  }
  if (!(await tf.setBackend(choice.backend)))
    throw new Error(`the ${choice.backend} backend failed to initialise`);
  await tf.ready();
  return choice;
}
