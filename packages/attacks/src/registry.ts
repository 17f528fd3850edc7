import type { Attack } from "./attack.js";
import { isWrapped } from "./wrapped.js";

const attacks = new Map<string, Attack>();

/**
 * Makes an attack available by name to the harness and the CLI. Only attacks made by
 * `defineAttack` are accepted: they check their options and verify every example they report.
 * A name is taken once: a plug-in cannot replace a built-in (or another plug-in's) attack.
 */
export function registerAttack(attack: Attack): void {
  if (!isWrapped(attack))
    throw new TypeError(
      `registerAttack: "${(attack as { name?: unknown })?.name ?? "?"}" was not made by defineAttack; ` +
        "wrap its search with defineAttack so its examples are verified by forward passes",
    );
  const known = attacks.get(attack.name);
  if (known === attack) return; // the same module loaded twice
  if (known)
    throw new TypeError(
      `registerAttack: an attack named "${attack.name}" is already registered; give yours another name`,
    );
  attacks.set(attack.name, attack);
}
export const attackNames = (): string[] => [...attacks.keys()];
export const attackList = (): readonly Attack[] => [...attacks.values()];

export function getAttack(name: string): Attack {
  const a = attacks.get(name);
  if (!a) throw new Error(`unknown attack "${name}"; known attacks: ${attackNames().join(", ")}`);
  return a;
}
