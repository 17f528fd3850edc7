import { readFileSync, writeFileSync } from "node:fs";
import { type Network, rawPixels } from "@rho/models";
import { counterexampleText, parseVnnlib, VerifyInputError, VnnlibError, verifyProperty } from "@rho/verify";
import { EXIT_NOT_OK, EXIT_OK, UsageError } from "../errors.js";
import { initBackend, loadNetwork } from "../inputs.js";
import type { Output } from "../output.js";

/**
 * The network as a property sees it: its own input, no pixel mapping in front of it (rho.json's
 * or the default pixel/255). Vector and one-channel inputs, whose X_i order is rho's.
 */
export async function propertyNetwork(file: string): Promise<Network> {
  const shape = await loadNetwork(file);
  const channels = shape.inputShape.length === 3 ? (shape.inputShape[2] as number) : 1;
  if (channels > 1)
    throw new UsageError(
      `${file}: a ${channels}-channel image input; rho verify takes vector and one-channel inputs so far (X_i in the network's own order)`,
    );
  return loadNetwork(file, rawPixels(channels));
}

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
  const net = await propertyNetwork(o.model);
  await initBackend(o.backend, out);
  let r: Awaited<ReturnType<typeof verifyProperty>>;
  try {
    r = await verifyProperty(net, spec, { timeout: o.timeout });
  } catch (e) {
    if (e instanceof VerifyInputError) throw new UsageError(`${o.spec} and ${o.model}: ${e.message}`);
    throw e;
  }
  if (r.status === "sat" && r.x && r.y && o.counterexample)
    writeFileSync(o.counterexample, `sat\n${counterexampleText(r.x, r.y)}`);
  if (o.json)
    out.json({
      model: o.model,
      spec: o.spec,
      status: r.status,
      stage: r.stage ?? null,
      seconds: r.seconds,
      refuted: r.refuted,
      conjunctions: r.conjunctions,
      ...(r.x && r.y ? { x: Array.from(r.x), y: Array.from(r.y) } : {}),
    });
  else
    out.line(
      `${r.status}${r.stage ? ` (${r.stage})` : ""} in ${r.seconds.toFixed(2)} s; bounds ruled out ${r.refuted} of ${r.conjunctions} output conditions` +
        (r.status === "sat" && o.counterexample ? `; counterexample in ${o.counterexample}` : ""),
    );
  return r.status === "sat" || r.status === "unsat" ? EXIT_OK : EXIT_NOT_OK;
}
