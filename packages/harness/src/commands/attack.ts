import { type AttackOptions, type AttackResult, getAttack, tfjsContext } from "@rho/attacks";
import { image } from "@rho/datasets";
import type { BackendName } from "@rho/models";
import { EXIT_NOT_OK, EXIT_OK, UsageError } from "../errors.js";
import { writeComparisonPng } from "../images.js";
import { checkFits, initBackend, loadNetwork, loadSplit } from "../inputs.js";
import type { Output } from "../output.js";

export interface AttackCommandOptions {
  model: string;
  dataset: string;
  dataDir?: string;
  split: "train" | "test";
  attack: string;
  index: number;
  target: string;
  solver: string;
  iterative: boolean;
  margin?: number;
  ties: string;
  timeLimit?: number;
  eps?: number;
  norm?: string;
  opt?: string[];
  saveImage?: string;
  backend: BackendName | "auto";
  json: boolean;
}

/** `--opt key=value` pairs: values that parse as JSON (numbers, booleans, …) are taken as such, else as strings. */
export function parseOpts(pairs: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new UsageError(`--opt expects key=value, got "${p}"`);
    const value = p.slice(eq + 1);
    try {
      out[p.slice(0, eq)] = JSON.parse(value);
    } catch {
      out[p.slice(0, eq)] = value;
    }
  }
  return out;
}

/** "second" | "all" | a label number. */
export function parseTarget(v: string): AttackOptions["target"] {
  if (v === "second" || v === "all") return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--target must be second, all or a label, got "${v}"`);
  return n;
}

const show = (v: unknown): string =>
  typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : JSON.stringify(v);

function formatResult(r: AttackResult, where: string): string {
  const lines = [
    `${r.attack} on ${where}: predicted ${r.predicted}`,
    `status     ${r.status}${typeof r.diagnostics.message === "string" ? ` (${r.diagnostics.message})` : ""}`,
    `rho        ${Number.isFinite(r.rho) ? `${r.rho.toFixed(4)} pixels` : "∞"}`,
  ];
  if (r.target !== undefined) lines.push(`target     ${r.target}`);
  if (r.verified)
    lines.push(
      `verified   float64 ${r.verified.float64}${r.verified.float32 === undefined ? "" : `, float32 ${r.verified.float32}`}, rounded to integer pixels ${r.verified.rounded}`,
    );
  lines.push(`seconds    ${r.seconds.toFixed(3)}`);
  for (const [k, v] of Object.entries(r.diagnostics))
    if (k !== "message") lines.push(`${k.padEnd(10)} ${show(v)}`);
  return lines.join("\n");
}

/** `rho attack`: one attack on one dataset point; every example is checked by forward passes. */
export async function attackCommand(o: AttackCommandOptions, out: Output): Promise<number> {
  let attack: ReturnType<typeof getAttack>;
  try {
    attack = getAttack(o.attack);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const target = parseTarget(o.target);
  const net = await loadNetwork(o.model);
  const data = loadSplit(o.dataset, o.split, o.dataDir);
  checkFits(net, data);
  if (!(o.index >= 0 && o.index < data.count))
    throw new UsageError(`--index ${o.index} is not in 0..${data.count - 1} of ${o.dataset} ${o.split}`);
  if (typeof target === "number" && target >= net.outputSize)
    throw new UsageError(`--target ${target}: the model has labels 0..${net.outputSize - 1}`);
  await initBackend(o.backend, out);
  const ctx = await tfjsContext(net);
  const pixels = image(data, o.index);
  const label = data.labels[o.index] as number;
  const options: AttackOptions = {
    target,
    solver: o.solver,
    iterative: o.iterative,
    ties: o.ties,
    ...(o.margin !== undefined ? { margin: o.margin } : {}),
    ...(o.timeLimit !== undefined ? { timeLimit: o.timeLimit } : {}),
    ...(o.eps !== undefined ? { eps: o.eps } : {}),
    ...(o.norm !== undefined ? { norm: o.norm } : {}),
    ...parseOpts(o.opt),
  };
  let r: AttackResult;
  try {
    r = await attack.run(ctx, { pixels, label, index: o.index }, options);
  } catch (e) {
    // an attack refusing its options (a RangeError by convention) is the user's input
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  if (o.saveImage) {
    if (!r.adversarial) out.info(`no adversarial example: ${o.saveImage} not written`);
    else {
      await writeComparisonPng(o.saveImage, data, pixels, r.adversarial);
      out.info(`wrote ${o.saveImage} (original | adversarial | perturbation scaled to full range)`);
    }
  }
  const where = `${o.model}, ${o.dataset} ${o.split} #${o.index} (label ${label})`;
  if (o.json) {
    const { adversarial, ...rest } = r;
    out.json({
      model: o.model,
      dataset: o.dataset,
      split: o.split,
      index: o.index,
      label,
      ...rest,
      rho: Number.isFinite(r.rho) ? r.rho : null,
      ...(adversarial ? { adversarial: Array.from(adversarial) } : {}),
    });
  } else out.line(formatResult(r, where));
  return r.status === "error" || r.status === "unverified" ? EXIT_NOT_OK : EXIT_OK;
}
