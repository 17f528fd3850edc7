import type { AttackContext, AttackOptions } from "@rho/attacks";
import { getAttack } from "@rho/attacks";
import { type Dataset, image } from "@rho/datasets";
import { encodeExample, type ResultRow } from "./spec.js";

/** One attack on one point, as a results row (the same in the main thread and in workers). */
export async function runPoint(
  ctx: AttackContext,
  data: Dataset,
  attack: string,
  index: number,
  options: AttackOptions,
): Promise<ResultRow> {
  const label = data.labels[index] as number;
  const r = await getAttack(attack).run(ctx, { pixels: image(data, index), label, index }, options);
  const stats: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.diagnostics))
    if (typeof v === "number" && Number.isFinite(v)) stats[k] = v;
  return {
    attack,
    index,
    label,
    predicted: r.predicted,
    status: r.status,
    rho: Number.isFinite(r.rho) ? r.rho : null,
    target: r.target ?? null,
    verified: r.status === "adversarial",
    rounded: r.verified ? r.verified.rounded : null,
    seconds: r.seconds,
    stats,
    ...(r.status === "adversarial" && r.adversarial && r.verified
      ? { example: encodeExample(r.adversarial), exampleLabel: r.verified.predicted }
      : {}),
  };
}
