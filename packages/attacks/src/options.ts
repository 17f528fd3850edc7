// The options an attack declares: name, type, default, allowed range and one line of help. The
// harness refuses unknown keys and bad values before any work, and every attack's `run` checks
// them again, so a typo never silently falls back to a default.

/** What an option holds. "target" is the common target option: "second", "all" or a label. */
export type OptionType = "number" | "integer" | "boolean" | "string" | "target";

export interface OptionSpec {
  readonly type: OptionType;
  readonly help: string;
  /** Filled in when the option is not given; absent means "not set" (the attack decides). */
  readonly default?: number | boolean | string;
  /** Inclusive bounds for numbers and integers. */
  readonly min?: number;
  readonly max?: number;
  /** The bound `min` itself is not allowed (e.g. a positive step). */
  readonly exclusiveMin?: boolean;
  /** Allowed strings; a function for lists that grow at run time (registered solvers). */
  readonly values?: readonly string[] | (() => readonly string[]);
  /** Strings: the form they must match, and its name for messages (e.g. "name=value;…"). */
  readonly pattern?: { readonly re: RegExp; readonly form: string };
}

export type OptionSchema = Readonly<Record<string, OptionSpec>>;

/**
 * A schema with its literal types kept (`type: "integer"`, `values: ["ray", "region-lp"]`,
 * whether there is a default), so the option types below follow from it: an attack declares
 * its options once, here, and never restates a type or a default.
 */
export const optionSchema = <const S extends OptionSchema>(schema: S): S => schema;

/** The value an option holds, by its spec: a number, a boolean, one of its strings, or a target. */
export type OptionValue<S extends OptionSpec> = S["type"] extends "number" | "integer"
  ? number
  : S["type"] extends "boolean"
    ? boolean
    : S["type"] extends "target"
      ? "second" | "all" | number
      : S extends { readonly values: readonly (infer V extends string)[] }
        ? V
        : string;

type WithDefault<S extends OptionSchema> = {
  [K in keyof S]: S[K] extends { readonly default: unknown } ? K : never;
}[keyof S];

/**
 * What a search receives: every option, checked; those with a default always set, the others
 * (computed defaults, "not set" meaning something) possibly undefined; and the pixel box.
 */
export type OptionsOf<S extends OptionSchema> = {
  readonly [K in WithDefault<S>]: OptionValue<S[K]>;
} & {
  readonly [K in Exclude<keyof S, WithDefault<S>>]?: OptionValue<S[K]>;
} & { readonly box: readonly [number, number] };

/** What a caller may give: any of the options, and the box. */
export type GivenOptions<S extends OptionSchema> = {
  readonly [K in keyof S]?: OptionValue<S[K]>;
} & { readonly box?: readonly [number, number] };

/** A bad attack option: the user's input (the CLI turns it into one line and exit 2). */
export class AttackOptionError extends RangeError {
  override name = "AttackOptionError";
}

/** Options every attack takes; `box` is set by programs (not the CLI): the valid pixel range. */
export const COMMON_OPTION_KEYS = ["box"] as const;

export const TARGET_OPTION = optionSchema({
  target: {
    type: "target",
    default: "second",
    help: 'label to reach: "second" (the second most probable, the paper\'s), "all" (the nearest) or a label',
  },
});

/** What `describe` prints for a spec: its type and range, e.g. "integer ≥ 1", "one of ray, region-lp". */
export function describeType(s: OptionSpec): string {
  const values = valuesOf(s);
  if (values) return `one of ${values.join(", ")}`;
  if (s.type === "target") return "second, all or a label";
  if (s.pattern) return s.pattern.form;
  const range: string[] = [];
  if (s.min !== undefined) range.push(`${s.exclusiveMin ? ">" : "≥"} ${s.min}`);
  if (s.max !== undefined) range.push(`≤ ${s.max}`);
  return [s.type, ...range].join(" ");
}

const valuesOf = (s: OptionSpec): readonly string[] | undefined =>
  typeof s.values === "function" ? s.values() : s.values;

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A command-line number, strictly: digits with an optional sign, point and exponent; no blanks,
 * hex, "Infinity" or empty string (undefined then). Every number flag and option goes through it.
 */
export const parseDecimal = (raw: string): number | undefined =>
  DECIMAL.test(raw) && Number.isFinite(Number(raw)) ? Number(raw) : undefined;

/** A command-line integer, strictly ("1e3", "0x10", "1.5", " 5" are none); undefined otherwise. */
export const parseInteger = (raw: string): number | undefined =>
  INTEGER.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined;

/** A command-line string as the option's type (strict: "1e3" is no integer, "abc" no number). */
export function coerceOption(attack: string, key: string, spec: OptionSpec, raw: string): unknown {
  const bad = () =>
    new AttackOptionError(`${attack}: option ${key} must be ${describeType(spec)}, got "${raw}"`);
  switch (spec.type) {
    case "integer": {
      const v = parseInteger(raw);
      if (v === undefined) throw bad();
      return v;
    }
    case "number": {
      const v = parseDecimal(raw);
      if (v === undefined) throw bad();
      return v;
    }
    case "boolean":
      if (raw !== "true" && raw !== "false") throw bad();
      return raw === "true";
    case "target":
      return INTEGER.test(raw) ? Number(raw) : raw;
    default:
      return raw;
  }
}

function checkValue(attack: string, key: string, spec: OptionSpec, v: unknown): void {
  const bad = () =>
    new AttackOptionError(
      `${attack}: option ${key} must be ${describeType(spec)}, got ${typeof v === "string" ? `"${v}"` : String(v)}`,
    );
  switch (spec.type) {
    case "number":
    case "integer": {
      if (typeof v !== "number" || !Number.isFinite(v)) throw bad();
      if (spec.type === "integer" && !Number.isSafeInteger(v)) throw bad();
      if (spec.min !== undefined && (v < spec.min || (spec.exclusiveMin && v === spec.min))) throw bad();
      if (spec.max !== undefined && v > spec.max) throw bad();
      return;
    }
    case "boolean":
      if (typeof v !== "boolean") throw bad();
      return;
    case "string":
      if (typeof v !== "string" || !(valuesOf(spec)?.includes(v) ?? true)) throw bad();
      if (spec.pattern && !spec.pattern.re.test(v)) throw bad();
      return;
    case "target":
      if (v === "second" || v === "all") return;
      if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return;
      throw bad();
  }
}

/**
 * The options an attack runs with: each given key checked against the schema, defaults filled in.
 * Unknown keys and bad values throw an AttackOptionError naming the attack, the key and what is allowed.
 */
export function resolveOptions(
  attack: string,
  schema: OptionSchema,
  given: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if ((COMMON_OPTION_KEYS as readonly string[]).includes(key)) {
      out[key] = value;
      continue;
    }
    const spec = schema[key];
    if (!spec) {
      const known = Object.keys(schema);
      throw new AttackOptionError(
        `${attack} has no option "${key}"; its options: ${known.length ? known.join(", ") : "none"}`,
      );
    }
    checkValue(attack, key, spec, value);
    out[key] = value;
  }
  for (const [key, spec] of Object.entries(schema))
    if (out[key] === undefined && spec.default !== undefined) out[key] = spec.default;
  const box = out.box;
  if (
    box !== undefined &&
    !(Array.isArray(box) && box.length === 2 && box.every(Number.isFinite) && box[0] < box[1])
  )
    throw new AttackOptionError(`${attack}: option box must be [low, high] with low < high`);
  return out;
}

/** `resolveOptions` typed by the schema, the box filled in ([0, 255] unless given): what a search receives. */
export function resolvedOptions<S extends OptionSchema>(
  attack: string,
  schema: S,
  given: Readonly<Record<string, unknown>> = {},
): OptionsOf<S> {
  return { box: [0, 255], ...resolveOptions(attack, schema, given) } as unknown as OptionsOf<S>;
}
