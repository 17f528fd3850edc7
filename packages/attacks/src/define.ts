import { argmax } from "@rho/models";
import type { Attack, AttackContext, AttackFamily, AttackOptions, AttackResult, Point } from "./attack.js";
import { AttackOptionError, type OptionSchema, resolveOptions } from "./options.js";
import { linf, verifyExample } from "./verify.js";
import { markWrapped, wrapped } from "./wrapped.js";

/** What an attack's search sees: the point, the network's logits there and the pixel box. */
export interface SearchInput {
  readonly ctx: AttackContext;
  readonly point: Point;
  /** float64 logits at x*. */
  readonly logits: Float64Array;
  /** The network's label at x* (equal to point.label: misclassified points never reach a search). */
  readonly predicted: number;
  readonly box: readonly [number, number];
}

/** The search's answer: the example it proposes (none if it found nothing) and what it wants reported. */
export interface SearchResult {
  readonly example?: Float64Array;
  readonly target?: number;
  /** Set when the search failed (solver error, limit): reported as status "error" (or "timeout"). */
  readonly error?: string;
  /** The failure was a solver's time limit: reported as status "timeout". */
  readonly timeout?: boolean;
  readonly diagnostics: Readonly<Record<string, unknown>>;
}

export interface AttackSpec<O extends AttackOptions> {
  readonly name: string;
  readonly description: string;
  readonly family: AttackFamily;
  /**
   * Every option `search` reads (besides `box`), with types, defaults and ranges: `search` gets
   * them checked and with the defaults filled in. A fixed-epsilon attack declares `eps`, its radius.
   */
  readonly options: OptionSchema;
  /** See Attack.trainingOptions. */
  readonly trainingOptions?: O;
  search(input: SearchInput, opts: O): Promise<SearchResult>;
}

/** One line: a thrown error's message without its stack (a results row keeps a reason, not a trace). */
const oneLine = (e: unknown): string =>
  (e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e)).split(
    "\n",
  )[0] as string;

/**
 * An attack from its search alone (Foolbox's pattern: one final entry point, a small part to
 * write). The entry point checks the options against the declared schema (an AttackOptionError,
 * thrown: the caller's input), times the run, skips points the network already misclassifies,
 * turns a search that throws into status "error" with the reason, and checks the proposed example
 * by forward passes: only a verified example is reported adversarial, at ρ̂ = its L∞ distance to
 * x*; any other proposal is "unverified", never counted.
 */
export function defineAttack<O extends AttackOptions>(spec: AttackSpec<O>): Attack {
  if (spec.family === "fixed-epsilon" && spec.options.eps?.type !== "number")
    throw new TypeError(
      `${spec.name}: a fixed-epsilon attack declares its radius as the number option "eps"`,
    );
  if (spec.family !== "fixed-epsilon" && spec.family !== "minimum-distance")
    throw new TypeError(`${spec.name}: family must be "minimum-distance" or "fixed-epsilon"`);
  const trainingOptions = spec.trainingOptions;
  if (trainingOptions) resolveOptions(spec.name, spec.options, trainingOptions); // a typo fails at load
  const attack: Attack = {
    [wrapped]: true,
    name: spec.name,
    description: spec.description,
    family: spec.family,
    options: spec.options,
    ...(trainingOptions ? { trainingOptions } : {}),
    async run(ctx: AttackContext, point: Point, given: AttackOptions = {}): Promise<AttackResult> {
      const options = resolveOptions(spec.name, spec.options, given) as O;
      const t0 = performance.now();
      const box = options.box ?? [0, 255];
      const logits = ctx.net.forward64(point.pixels).logits;
      const predicted = argmax(logits);
      const finish = (r: Omit<AttackResult, "attack" | "predicted" | "seconds">): AttackResult => ({
        attack: spec.name,
        predicted,
        seconds: (performance.now() - t0) / 1000,
        ...r,
      });
      if (predicted !== point.label) return finish({ status: "misclassified", rho: 0, diagnostics: {} });
      const none = Number.POSITIVE_INFINITY;
      let s: SearchResult;
      try {
        s = await spec.search({ ctx, point, logits, predicted, box }, options);
      } catch (e) {
        if (e instanceof AttackOptionError) throw e;
        return finish({ status: "error", rho: none, diagnostics: { message: oneLine(e) } });
      }
      if (s.error !== undefined)
        return finish({
          status: s.timeout ? "timeout" : "error",
          rho: none,
          diagnostics: { ...s.diagnostics, message: oneLine(s.error) },
        });
      if (!s.example) return finish({ status: "not_found", rho: none, diagnostics: s.diagnostics });
      const verified = await verifyExample(ctx, point.label, s.example, box);
      const ok = verified.float64 && verified.float32 !== false;
      return finish({
        status: ok ? "adversarial" : "unverified",
        rho: ok ? linf(s.example, point.pixels) : none,
        target: s.target ?? verified.predicted,
        adversarial: s.example,
        verified,
        diagnostics: s.diagnostics,
      });
    },
  };
  markWrapped(attack);
  return Object.freeze(attack);
}
