// An ensemble: runs a list of registered attacks on the point and keeps the smallest verified ρ̂
// (AutoAttack's idea for fixed ε: apgd,apgd:loss=dlr,square; for minimum distance e.g.
// alp-walk,fmn,apgd-min). Every member verifies its own example; the ensemble reports the best
// one, verified again, so it never reports more than its best member.
import type { AttackOptions } from "./attack.js";
import { defineAttack } from "./define.js";
import { getAttack } from "./registry.js";

export interface EnsembleOptions extends AttackOptions {
  readonly attacks?: string;
}

/** "a,b:k=v:k2=v2": member names with their options (values as given: numbers and booleans parsed). */
export function parseMembers(spec: string): { name: string; opts: Record<string, unknown> }[] {
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [name, ...kv] = s.split(":");
      const opts: Record<string, unknown> = {};
      for (const pair of kv) {
        const [k, v] = pair.split("=");
        if (!k || v === undefined) throw new Error(`ensemble: "${pair}" in "${s}" is not key=value`);
        opts[k] = v === "true" ? true : v === "false" ? false : Number.isFinite(Number(v)) ? Number(v) : v;
      }
      return { name: name as string, opts };
    });
}

export const ensemble = defineAttack<EnsembleOptions>({
  name: "ensemble",
  family: "minimum-distance",
  description:
    "runs the listed attacks (attacks=a,b:key=value) and keeps the smallest verified ρ̂ of any of them",
  options: {
    attacks: {
      type: "string",
      default: "pgd,deepfool",
      help: "members, comma-separated, each name[:key=value…] (e.g. alp-walk,fmn,apgd-min:loss=dlr)",
      pattern: {
        re: /^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.]+=[^,:]+)*(,[A-Za-z0-9_.-]+(:[A-Za-z0-9_.]+=[^,:]+)*)*$/,
        form: "name[:key=value…],…",
      },
    },
  },
  async search({ ctx, point, box }, opts) {
    const members = parseMembers(opts.attacks ?? "pgd,deepfool");
    if (members.some((m) => m.name === "ensemble"))
      return { error: "an ensemble cannot contain an ensemble", diagnostics: {} };
    let best: { x: Float64Array; rho: number; name: string; target?: number } | undefined;
    const runs: Record<string, unknown>[] = [];
    for (const m of members) {
      const attack = getAttack(m.name);
      const r = await attack.run(ctx, point, { ...m.opts, box });
      runs.push({
        attack: m.name,
        status: r.status,
        rho: Number.isFinite(r.rho) ? r.rho : null,
        seconds: r.seconds,
      });
      if (r.status === "adversarial" && r.adversarial && (!best || r.rho < best.rho))
        best = {
          x: r.adversarial,
          rho: r.rho,
          name: m.name,
          ...(r.target !== undefined ? { target: r.target } : {}),
        };
    }
    const diagnostics = { members: runs, best: best?.name ?? null };
    return best
      ? { example: best.x, ...(best.target !== undefined ? { target: best.target } : {}), diagnostics }
      : { diagnostics };
  },
});
