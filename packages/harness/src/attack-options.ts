// The options each attack of a run gets, from the command line: named flags (--solver, --margin…)
// and --opt pairs, routed to the attacks that declare them, checked against each attack's schema
// before any work. The harness knows no attack by name: only the schemas they declare.
import { type Attack, AttackOptionError, coerceOption, getAttack, resolveOptions } from "@rho/attacks";
import { UsageError } from "./errors.js";

export interface OptionRequest {
  /** Typed values of named flags the user gave (undefined: not given), by option key. */
  readonly named?: Readonly<Record<string, unknown>>;
  /** `key=value` (every attack of the run that declares key) or `attack.key=value` (that attack). */
  readonly pairs?: readonly string[];
  /** Given by --target: passed to the attacks that take a target. */
  readonly target?: unknown;
  /** rho eval's ε: a fixed-epsilon attack's radius unless its eps is given. */
  readonly eps?: number;
}

/** "second" | "all" | a label, strictly ("1.5", "1e3" and "" are none of them). */
export function parseTarget(v: string): "second" | "all" | number {
  if (v === "second" || v === "all") return v;
  if (!/^\d+$/.test(v)) throw new UsageError(`--target must be second, all or a label, got "${v}"`);
  return Number(v);
}

/** Looks the attacks of a run up by name; an unknown one is refused with the known ones. */
export function attacksByName(names: readonly string[]): Attack[] {
  if (names.length === 0) throw new UsageError("name at least one attack");
  const seen = new Set<string>();
  return names.map((n) => {
    if (seen.has(n)) throw new UsageError(`attack "${n}" is named twice`);
    seen.add(n);
    try {
      return getAttack(n);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  });
}

/** One attack by name; an unknown one is refused with the known ones. */
export const attackByName = (name: string): Attack => attacksByName([name])[0] as Attack;

const schemaLine = (a: Attack) => `${a.name}: ${Object.keys(a.options).join(", ") || "none"}`;

/**
 * The `--opt` pairs some attack of `attacks` takes (`key=value` where one declares key,
 * `attack.key=value` where that attack is one of them): for a command that runs several
 * sub-runs over different attacks (rho reproduce), after checking every pair against them all.
 */
export function pairsFor(attacks: readonly Attack[], pairs: readonly string[]): string[] {
  return pairs.filter((pair) => {
    const { only, key } = splitPair(pair);
    return attacks.some((a) => (only === undefined || a.name === only) && key in a.options);
  });
}

/** `attack.key=value` or `key=value` → the attack (if named), the key and the raw value. */
function splitPair(pair: string): { only?: string; key: string; raw: string } {
  const eq = pair.indexOf("=");
  if (eq <= 0) throw new UsageError(`--opt expects key=value or attack.key=value, got "${pair}"`);
  const left = pair.slice(0, eq);
  const dot = left.lastIndexOf(".");
  const key = dot > 0 ? left.slice(dot + 1) : left;
  return { ...(dot > 0 ? { only: left.slice(0, dot) } : {}), key, raw: pair.slice(eq + 1) };
}

/** Each attack's checked options with defaults filled in, in the order given; UsageError otherwise. */
export function attackOptions(attacks: readonly Attack[], req: OptionRequest): Record<string, unknown>[] {
  return resolveGiven(attacks, givenOptions(attacks, req), req);
}

/**
 * Each attack's options as the command line gives them (named flags and --opt pairs routed to the
 * attacks that declare them, coerced to their types), without defaults or the run's target and ε.
 */
export function givenOptions(attacks: readonly Attack[], req: OptionRequest): Record<string, unknown>[] {
  const given = attacks.map(() => ({}) as Record<string, unknown>);
  const route = (key: string, value: (a: Attack) => unknown, what: string, only?: string) => {
    const takers = attacks.filter((a) => (only === undefined || a.name === only) && key in a.options);
    if (takers.length === 0)
      throw new UsageError(
        only === undefined
          ? `${what}: no attack of this run has option "${key}" (${attacks.map(schemaLine).join("; ")})`
          : `${what}: ${only} has no option "${key}" (${schemaLine(getAttack(only))})`,
      );
    for (const a of takers) (given[attacks.indexOf(a)] as Record<string, unknown>)[key] = value(a);
  };
  try {
    for (const [key, value] of Object.entries(req.named ?? {}))
      if (value !== undefined) route(key, () => value, `--${kebab(key)}`);
    for (const pair of req.pairs ?? []) {
      const { only, key, raw } = splitPair(pair);
      if (only !== undefined && !attacks.some((a) => a.name === only))
        throw new UsageError(
          `--opt ${pair}: ${only} is not an attack of this run (${attacks.map((a) => a.name).join(", ")})`,
        );
      route(key, (a) => coerceOption(a.name, key, a.options[key] as never, raw), `--opt ${pair}`, only);
    }
    return given;
  } catch (e) {
    if (e instanceof AttackOptionError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Each attack's options as given (an object per attack, in order) checked against its schema with
 * the defaults filled in; a run's target and ε go to the attacks that take them unless given.
 * A bad key or value is a UsageError naming the attack.
 */
export function resolveGiven(
  attacks: readonly Attack[],
  given: readonly Readonly<Record<string, unknown>>[],
  run: { readonly target?: unknown; readonly eps?: number } = {},
): Record<string, unknown>[] {
  try {
    return attacks.map((a, i) => {
      const g = { ...given[i] };
      if (run.target !== undefined && "target" in a.options && g.target === undefined) g.target = run.target;
      if (a.family === "fixed-epsilon" && run.eps !== undefined && g.eps === undefined) g.eps = run.eps;
      return resolveOptions(a.name, a.options, g);
    });
  } catch (e) {
    if (e instanceof AttackOptionError) throw new UsageError(e.message);
    throw e;
  }
}

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** A numeric target must be one of the model's labels. */
export function checkTarget(target: unknown, labels: number): void {
  if (typeof target === "number" && !(target < labels))
    throw new UsageError(`--target ${target}: the model has labels 0..${labels - 1}`);
}
