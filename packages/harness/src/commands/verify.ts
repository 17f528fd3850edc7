import { readFileSync, writeFileSync } from "node:fs";
import { type Network, onnxInputLayout, rawPixels } from "@rho/models";
import {
  counterexampleText,
  parseVnnlib,
  reorderInputs,
  VerifyInputError,
  VnnlibError,
  type VnnSpec,
  verifyProperty,
} from "@rho/verify";
import { EXIT_NOT_OK, EXIT_OK, UsageError } from "../errors.js";
import { initBackend, loadNetwork } from "../inputs.js";
import type { Output } from "../output.js";

/**
 * The network as a property sees it: its own input, no pixel mapping in front of it (rho.json's
 * or the default pixel/255). X_i follow the graph's input tensor: for an NCHW colour image its
 * planes, which `order` maps to rho's channels-last input.
 */
export interface PropertyModel {
  readonly net: Network;
  /** rho's input index of each X_i, where the graph's input order is not rho's (NCHW colour images). */
  readonly order?: Int32Array;
}

export async function propertyNetwork(file: string): Promise<PropertyModel> {
  const shape = await loadNetwork(file);
  const channels = shape.inputShape.length === 3 ? (shape.inputShape[2] as number) : 1;
  const net = await loadNetwork(file, rawPixels(channels));
  if (channels === 1 || onnxInputLayout(net) !== "nchw") return { net };
  // X_i index the NCHW tensor: plane c, row y, column x is rho's (y·w + x)·c + channel
  const [h, w] = net.inputShape as [number, number, number];
  const order = new Int32Array(net.inputSize);
  for (let c = 0; c < channels; c++) for (let p = 0; p < h * w; p++) order[c * h * w + p] = p * channels + c;
  return { net, order };
}

/** A spec over rho's input order, and counterexample pixels back in the graph's. */
export const specFor = (m: PropertyModel, spec: VnnSpec): VnnSpec =>
  m.order ? reorderInputs(spec, m.order) : spec;
export const graphOrder = (m: PropertyModel, x: ArrayLike<number>): ArrayLike<number> =>
  m.order ? Array.from(m.order, (r) => x[r] as number) : x;

export interface VerifyCommandOptions {
  model: string;
  spec: string;
  timeout: number;
  counterexample?: string;
  backend: "auto" | "wasm" | "cpu" | "tensorflow";
  json: boolean;
}

/**
 * `rho verify`: one VNN-LIB property of one network. Prints sat (with a counterexample checked by
 * float64 and float32 forward passes), unsat (CROWN's bounds rule every case out), unknown or
 * timeout. Exit 0 for sat and unsat, 1 for unknown and timeout, 2 for bad input.
 */
export async function verifyCommand(o: VerifyCommandOptions, out: Output): Promise<number> {
  let text: string;
  try {
    text = readFileSync(o.spec, "utf8");
  } catch (e) {
    throw new UsageError(
      `${o.spec}: cannot read the specification (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let spec: ReturnType<typeof parseVnnlib>;
  try {
    spec = parseVnnlib(text, o.spec);
  } catch (e) {
    if (e instanceof VnnlibError) throw new UsageError(e.message);
    throw e;
  }
  const model = await propertyNetwork(o.model);
  await initBackend(o.backend, out);
  let r: Awaited<ReturnType<typeof verifyProperty>>;
  try {
    r = await verifyProperty(model.net, specFor(model, spec), { timeout: o.timeout });
  } catch (e) {
    if (e instanceof VerifyInputError) throw new UsageError(`${o.spec} and ${o.model}: ${e.message}`);
    throw e;
  }
  if (r.status === "sat" && r.x && r.y && o.counterexample)
    writeFileSync(o.counterexample, `sat\n${counterexampleText(graphOrder(model, r.x), r.y)}`);
  if (o.json)
    out.json({
      model: o.model,
      spec: o.spec,
      status: r.status,
      stage: r.stage ?? null,
      seconds: r.seconds,
      refuted: r.refuted,
      conjunctions: r.conjunctions,
      domains: r.domains,
      ...(r.settled === undefined ? {} : { settled: r.settled }),
      ...(r.x && r.y ? { x: Array.from(graphOrder(model, r.x)), y: Array.from(r.y) } : {}),
    });
  else
    out.line(
      `${r.status}${r.stage ? ` (${r.stage})` : ""} in ${r.seconds.toFixed(2)} s; bounds ruled out ${r.refuted} of ${r.conjunctions} output conditions` +
        (r.settled !== undefined && r.status !== "unsat" && r.status !== "sat"
          ? `; branch and bound settled ${(100 * r.settled).toFixed(1)} % of its search (${r.domains} domains)`
          : "") +
        (r.status === "sat" && o.counterexample ? `; counterexample in ${o.counterexample}` : ""),
    );
  return r.status === "sat" || r.status === "unsat" ? EXIT_OK : EXIT_NOT_OK;
}
