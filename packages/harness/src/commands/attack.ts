import type { AttackFamily, AttackResult } from "@rho/attacks";
import type { BackendName } from "@rho/models";
import { attack } from "../api/point.js";
import { attackByName, givenOptions, parseTarget } from "../attack-options.js";
import { EXIT_NOT_OK, EXIT_OK } from "../errors.js";
import { writeComparisonPng } from "../images.js";
import { loadSplit } from "../inputs.js";
import type { Output } from "../output.js";

export interface AttackCommandOptions {
  model: string;
  dataset: string;
  dataDir?: string;
  split: "train" | "test";
  attack: string;
  index: number;
  target: string;
  solver?: string;
  iterative: boolean;
  margin?: number;
  ties?: string;
  timeLimit?: number;
  eps?: number;
  norm?: string;
  opt?: string[];
  saveImage?: string;
  backend: BackendName | "auto";
  json: boolean;
}

const show = (v: unknown): string =>
  typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : JSON.stringify(v);

function formatResult(r: AttackResult, where: string, family: AttackFamily): string {
  const lines = [
    `${r.attack} (${family}) on ${where}: predicted ${r.predicted}`,
    `status     ${r.status}${typeof r.diagnostics.message === "string" ? ` (${r.diagnostics.message})` : ""}`,
    family === "fixed-epsilon"
      ? `distance   ${Number.isFinite(r.rho) ? `${r.rho.toFixed(4)} pixels (a fixed-ε answer, not an estimate of ρ)` : "∞"}`
      : `rho        ${Number.isFinite(r.rho) ? `${r.rho.toFixed(4)} pixels` : "∞"}`,
  ];
  if (r.target !== undefined) lines.push(`target     ${r.target}`);
  if (r.verified)
    lines.push(
      `verified   float64 ${r.verified.float64}, float32 ${r.verified.float32}, rounded to integer pixels ${r.verified.rounded}`,
    );
  lines.push(`seconds    ${r.seconds.toFixed(3)}`);
  for (const [k, v] of Object.entries(r.diagnostics))
    if (k !== "message") lines.push(`${k.padEnd(10)} ${show(v)}`);
  return lines.join("\n");
}

/** `rho attack`: one attack on one dataset point; every example is checked by forward passes. */
export async function attackCommand(o: AttackCommandOptions, out: Output): Promise<number> {
  const a = attackByName(o.attack);
  const [given] = givenOptions([a], {
    named: {
      solver: o.solver,
      iterative: o.iterative === false ? false : undefined,
      margin: o.margin,
      ties: o.ties,
      timeLimit: o.timeLimit,
      eps: o.eps,
      norm: o.norm,
    },
    ...(o.opt ? { pairs: o.opt } : {}),
  });
  const target = parseTarget(o.target);
  const {
    result: r,
    label,
    pixels,
    family,
    backend,
  } = await attack({
    model: o.model,
    dataset: o.dataset,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    split: o.split,
    index: o.index,
    attack: o.attack,
    options: given ?? {},
    target,
    backend: o.backend,
  });
  out.info(`backend: ${backend}`);
  if (o.saveImage) {
    if (!r.adversarial) out.info(`no adversarial example: ${o.saveImage} not written`);
    else {
      await writeComparisonPng(o.saveImage, loadSplit(o.dataset, o.split, o.dataDir), pixels, r.adversarial);
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
      family,
      ...rest,
      rho: Number.isFinite(r.rho) ? r.rho : null,
      ...(adversarial ? { adversarial: Array.from(adversarial) } : {}),
    });
  } else out.line(formatResult(r, where, family));
  return r.status === "error" || r.status === "timeout" || r.status === "unverified" ? EXIT_NOT_OK : EXIT_OK;
}
