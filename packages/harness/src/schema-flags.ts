// Command-line flags for attack options (rho attack's --margin, --solver …), made from the
// options the attacks declare: the help line, the default it names, the allowed values and the
// parsing all come from the schema, so a flag cannot drift from the option it sets.
import { AttackOptionError, attackList, coerceOption, describeType, type OptionSpec } from "@rho/attacks";
import { InvalidArgumentError, Option } from "commander";

/** The first registered attack's spec of `key`, and which attacks declare it. */
function specOf(key: string): { spec: OptionSpec; takers: string[] } {
  const takers = attackList().filter((a) => key in a.options);
  const first = takers[0];
  if (!first) throw new TypeError(`no registered attack declares option "${key}"`);
  return { spec: first.options[key] as OptionSpec, takers: takers.map((a) => a.name) };
}

/**
 * `--flag <value>` for option `key`: "who: help (default d)", its values as choices, the raw
 * string read by the option's type (strictly, as --opt values are); ranges are checked when the
 * run's options are resolved. `who` names the attacks it is for (default: those declaring it).
 */
export function attackFlag(flags: string, key: string, who?: string): Option {
  const { spec, takers } = specOf(key);
  const values = typeof spec.values === "function" ? spec.values() : spec.values;
  const help = `${who ?? takers.join(", ")}: ${spec.help}${spec.default === undefined ? "" : ` (default ${spec.default})`}`;
  const option = new Option(flags, help);
  if (values) return option.choices(values);
  return option.argParser((raw: string) => {
    try {
      return coerceOption(takers[0] as string, key, spec, raw);
    } catch (e) {
      if (e instanceof AttackOptionError)
        throw new InvalidArgumentError(`expected ${describeType(spec)}, got "${raw}"`);
      throw e;
    }
  });
}

/** The help of a boolean option's negation (`--no-iterative`), from its spec. */
export function attackNegation(flags: string, key: string, who: string): Option {
  const { spec } = specOf(key);
  return new Option(flags, `${who}: turn off ${spec.help}`);
}
