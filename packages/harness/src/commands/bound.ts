import { bound } from "../api/point.js";
import { EXIT_OK } from "../errors.js";
import type { Output } from "../output.js";

export interface BoundCommandOptions {
  model: string;
  dataset: string;
  dataDir?: string;
  split: "train" | "test";
  index: number;
  method: string;
  epsMax: number;
  tolerance: number;
  timeLimit: number;
  json: boolean;
}

/**
 * `rho bound`: a certified lower bound ρ_lb on one point's ρ (the largest ε a sound method
 * certifies, by bisection), and an upper bound where the method finds a verified witness.
 */
export async function boundCommand(o: BoundCommandOptions, out: Output): Promise<number> {
  const r = await bound({
    model: o.model,
    dataset: o.dataset,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    split: o.split,
    index: o.index,
    method: o.method,
    epsMax: o.epsMax,
    tolerance: o.tolerance,
    timeLimit: o.timeLimit,
  });
  const { label } = r;
  if (r.status === "misclassified") {
    const { predicted } = r;
    if (o.json)
      out.json({
        model: o.model,
        index: o.index,
        label,
        predicted,
        status: "misclassified",
        lower: 0,
        upper: 0,
        method: o.method,
        seconds: 0,
      });
    else out.line(`${o.model} misclassifies #${o.index} (label ${label}, predicted ${predicted}): ρ = 0`);
    return EXIT_OK;
  }
  const { witness, ...rest } = r;
  if (o.json)
    out.json({
      model: o.model,
      dataset: o.dataset,
      split: o.split,
      index: o.index,
      ...rest,
      ...(witness ? { witness: Array.from(witness) } : {}),
    });
  else
    out.line(
      [
        `${r.method} on ${o.model}, ${o.dataset} ${o.split} #${o.index} (label ${label})`,
        `lower      ${r.lower.toFixed(4)} pixels${r.status === "certified_beyond" ? ` (certified at --eps-max ${o.epsMax}: ρ > ${o.epsMax})` : ""}`,
        `upper      ${r.upper === null ? "none (no witness)" : `${r.upper.toFixed(4)} pixels`}`,
        `status     ${r.status}`,
        `seconds    ${r.seconds.toFixed(3)} (${r.calls} certify calls)`,
      ].join("\n"),
    );
  return EXIT_OK;
}
