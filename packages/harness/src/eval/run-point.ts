import type { AttackContext, AttackOptions } from "@rho/attacks";
import { exampleDefect, getAttack, verifyExample } from "@rho/attacks";
import { boundRho, getBoundMethod } from "@rho/bounds";
import { type Dataset, image } from "@rho/datasets";
import { encodeExample, type ResultRow } from "./spec.js";

/** A row for a point whose attack could not run at all (a thrown error outside the attack's search). */
export function failedRow(data: Dataset, attack: string, index: number, reason: string): ResultRow {
  const label = data.labels[index] as number;
  return {
    attack,
    index,
    label,
    predicted: -1, // unknown: the row counts as failed, in no statistic
    status: "error",
    rho: null,
    target: null,
    verified: false,
    rounded: null,
    seconds: 0,
    stats: {},
    reason: reason.split("\n")[0] as string,
  };
}

/**
 * One attack on one point, as a results row (the same in the main thread and in workers). A
 * failure is a row with status error (or timeout) and a one-line reason, never a thrown error:
 * the options were checked before the run started.
 */
export async function runPoint(
  ctx: AttackContext,
  data: Dataset,
  attack: string,
  index: number,
  options: AttackOptions,
): Promise<ResultRow> {
  const label = data.labels[index] as number;
  let r: Awaited<ReturnType<ReturnType<typeof getAttack>["run"]>>;
  try {
    r = await getAttack(attack).run(ctx, { pixels: image(data, index), label, index }, options);
  } catch (e) {
    return failedRow(data, attack, index, e instanceof Error ? e.message : String(e));
  }
  const message = r.diagnostics.message;
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
    ...(typeof message === "string" ? { reason: message.split("\n")[0] as string } : {}),
    ...(r.status === "adversarial" && r.adversarial && r.verified
      ? { example: encodeExample(r.adversarial), exampleLabel: r.verified.predicted }
      : {}),
  };
}

/**
 * One certifying method on one point, as a results row: `lower` is ρ_lb, `rho` the distance of a
 * witness that passes the attacks' checks (in the box, float64 and float32 passes of the context;
 * null without one), status the method's (exact, bracket, certified_beyond) or misclassified or error.
 */
export async function boundPoint(
  ctx: AttackContext,
  data: Dataset,
  method: string,
  index: number,
  options: Readonly<Record<string, unknown>>,
): Promise<ResultRow> {
  const net = ctx.net;
  const label = data.labels[index] as number;
  const pixels = image(data, index);
  const predicted = net.predict64(pixels);
  const row = {
    attack: method,
    index,
    label,
    predicted,
    target: null,
    verified: false,
    rounded: null,
    stats: {},
  };
  if (predicted !== label) return { ...row, status: "misclassified", rho: 0, lower: 0, seconds: 0 };
  try {
    const r = await boundRho(getBoundMethod(method), net, pixels, label, options);
    // a witness counts on the attacks' terms: in the box, finite, and adversarial in float64 and float32
    const box = (options.box as readonly [number, number] | undefined) ?? [0, 255];
    const w = r.witness;
    const checked =
      w !== undefined && exampleDefect(w, pixels.length, box) === undefined
        ? await verifyExample(ctx, label, w, box)
        : undefined;
    const upper = checked?.float64 && checked.float32 ? r.upper : null;
    return {
      ...row,
      // "exact" rests on its witness: without a verified one it is a bracket
      status: r.status === "exact" && upper === null ? "bracket" : r.status,
      rho: upper,
      lower: r.lower,
      verified: upper !== null,
      seconds: r.seconds,
      stats: { calls: r.calls },
    };
  } catch (e) {
    return { ...failedRow(data, method, index, e instanceof Error ? e.message : String(e)), predicted };
  }
}
