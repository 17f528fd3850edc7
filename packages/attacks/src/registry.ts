import type { Attack } from "./attack.js";

const attacks = new Map<string, Attack>();

/** Makes an attack available by name to the harness and the CLI. */
export function registerAttack(attack: Attack): void {
  attacks.set(attack.name, attack);
}
export const attackNames = (): string[] => [...attacks.keys()];
export const attackList = (): readonly Attack[] => [...attacks.values()];

export function getAttack(name: string): Attack {
  const a = attacks.get(name);
  if (!a) throw new Error(`unknown attack "${name}"; known attacks: ${attackNames().join(", ")}`);
  return a;
}
