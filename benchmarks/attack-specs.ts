// "name:key=value+key=value" attack specs for the benchmarks' --attacks lists.
import { AttackOptionError, attackNames, coerceOption, getAttack, resolveOptions } from "@rho/attacks";

export interface AttackSpec {
  /** The spec as written: the attack's label in tables and JSON. */
  readonly label: string;
  readonly name: string;
  readonly opts: Record<string, unknown>;
}

/**
 * Parses a comma-separated list of specs, every option checked against the attack's schema now
 * (not after hours of points); exits with status 2 and one message on the first bad one.
 * `defaults(attack)` gives options a spec starts from (e.g. a fixed-ε attack's ε).
 */
export function parseAttackSpecs(
  list: string,
  defaults: (attack: ReturnType<typeof getAttack>) => Record<string, unknown> = () => ({}),
): AttackSpec[] {
  return list
    .split(",")
    .filter(Boolean)
    .map((spec) => {
      const [name, rest] = spec.split(":") as [string, string | undefined];
      if (!attackNames().includes(name)) {
        console.error(`unknown attack "${name}"; known: ${attackNames().join(", ")}`);
        process.exit(2);
      }
      const attack = getAttack(name);
      const opts = defaults(attack);
      try {
        for (const kv of rest ? rest.split("+") : []) {
          // split at the first "=": a value may hold more (lpOptions=name=value)
          const at = kv.indexOf("=");
          const [k, v] = at < 0 ? [kv, ""] : [kv.slice(0, at), kv.slice(at + 1)];
          const option = attack.options[k];
          if (!option)
            throw new AttackOptionError(
              `${name} has no option "${k}"; its options: ${Object.keys(attack.options).join(", ")}`,
            );
          opts[k] = coerceOption(name, k, option, v);
        }
        resolveOptions(name, attack.options, opts);
      } catch (e) {
        console.error((e as Error).message);
        process.exit(2);
      }
      return { label: spec, name, opts };
    });
}
