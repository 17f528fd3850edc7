// Ensembles: run a list of registered attacks of one family on the point and keep the smallest
// verified ρ̂ (for minimum distance e.g. alp-walk,fmn,apgd-min; at a fixed ε AutoAttack's
// apgd,apgd:loss=dlr,square, which by default stops at the first member that succeeds). Every member
// verifies its own example; the ensemble reports the best one it ran, verified again, so it never
// reports more than its best member.
import type { AttackFamily } from "./attack.js";
import { defineAttack } from "./define.js";
import { EPS_OPTION } from "./fgsm.js";
import { AttackOptionError, coerceOption, type GivenOptions, optionSchema } from "./options.js";
import { getAttack } from "./registry.js";

/**
 * "a,b:k=v:k2=v2": member names with their options, each value read by the member's own schema
 * (`coerceOption`, as `--opt` values are): an unknown attack, key or bad value is refused here.
 */
export function parseMembers(spec: string): { name: string; opts: Record<string, unknown> }[] {
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [name, ...kv] = s.split(":") as [string, ...string[]];
      const attack = getAttack(name);
      const opts: Record<string, unknown> = {};
      for (const pair of kv) {
        const [k, v] = pair.split("=");
        if (!k || v === undefined)
          throw new AttackOptionError(`ensemble: "${pair}" in "${s}" is not key=value`);
        const option = attack.options[k];
        if (!option)
          throw new AttackOptionError(
            `ensemble: ${name} has no option "${k}"; its options: ${Object.keys(attack.options).join(", ")}`,
          );
        opts[k] = coerceOption(name, k, option, v);
      }
      return { name, opts };
    });
}

const ALL_OPTION = optionSchema({
  all: {
    type: "boolean",
    default: false,
    help: "run every member even after one found an example (default: stop there, as AutoAttack does; ρ̂ is then the first success's, not the smallest)",
  },
});

/**
 * An ensemble of one family: `ensemble` of minimum-distance attacks (ρ̂ the smallest member's),
 * `ensemble-eps` of fixed-ε attacks (adversarial if any member is; AutoAttack's form).
 */
function makeEnsemble(name: string, family: AttackFamily, members: string, example: string) {
  const atEps = family === "fixed-epsilon";
  return defineAttack({
    name,
    family,
    description: atEps
      ? "runs the listed fixed-ε attacks (attacks=a,b:key=value) in order until one finds a verified example (all=true: every one, keeping the smallest ρ̂)"
      : `runs the listed ${family} attacks (attacks=a,b:key=value) and keeps the smallest verified ρ̂ of any of them`,
    options: {
      // a fixed-ε ensemble's radius, passed to every member that does not set its own
      ...(atEps ? { ...EPS_OPTION, ...ALL_OPTION } : {}),
      attacks: {
        type: "string",
        default: members,
        help: `members, comma-separated, each name[:key=value…] (e.g. ${example})`,
        pattern: {
          re: /^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.]+=[^,:]+)*(,[A-Za-z0-9_.-]+(:[A-Za-z0-9_.]+=[^,:]+)*)*$/,
          form: "name[:key=value…],…",
        },
      },
    },
    async search({ ctx, point, box }, opts) {
      const list = parseMembers(opts.attacks);
      const wrong = list.find((m) => m.name.startsWith("ensemble") || getAttack(m.name).family !== family);
      if (wrong)
        return {
          error: `${name} takes ${family} attacks, not ${wrong.name}${wrong.name.startsWith("ensemble") ? " (no nesting)" : ""}`,
          diagnostics: {},
        };
      let best: { x: Float64Array; rho: number; name: string; target?: number } | undefined;
      const runs: Record<string, unknown>[] = [];
      for (const m of list) {
        // AutoAttack's order of work: at a fixed ε one verified example settles the point, so the
        // later (often costlier, e.g. Square's queries) members run only where the earlier failed
        if (best && atEps && !opts.all) {
          runs.push({ attack: m.name, status: "skipped" });
          continue;
        }
        const radius = atEps ? { eps: opts.eps } : {};
        const r = await getAttack(m.name).run(ctx, point, { ...radius, ...m.opts, box });
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
      if (!best) return { diagnostics };
      return { example: best.x, ...(best.target !== undefined ? { target: best.target } : {}), diagnostics };
    },
  });
}

export const ensemble = makeEnsemble(
  "ensemble",
  "minimum-distance",
  "pgd,deepfool",
  "alp-walk,fmn,apgd-min:loss=dlr",
);
export const ensembleEps = makeEnsemble(
  "ensemble-eps",
  "fixed-epsilon",
  "apgd,apgd:loss=dlr,square",
  "apgd,apgd:loss=dlr,square",
);

/** What a caller may give an ensemble: its members and, for `ensemble-eps`, the radius. */
export type EnsembleOptions = GivenOptions<ReturnType<typeof makeEnsemble>["options"]>;
