import { argmax } from "@rho/models";
import type { Attack, AttackContext, AttackFamily, AttackOptions, AttackResult, Point } from "./attack.js";
import {
  AttackOptionError,
  type GivenOptions,
  type OptionSchema,
  type OptionsOf,
  resolveOptions,
} from "./options.js";
import { exampleDefect, linf, verifyExample } from "./verify.js";
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

export interface AttackSpec<S extends OptionSchema> {
  readonly name: string;
  readonly description: string;
  readonly family: AttackFamily;
  /**
   * Every option `search` reads (besides `box`), with types, defaults and ranges — declared once:
   * `search`'s options are typed from it (`OptionsOf`), checked and with the defaults filled in.
   * A fixed-epsilon attack declares `eps`, its radius.
   */
  readonly options: S;
  /** See Attack.trainingOptions. */
  readonly trainingOptions?: GivenOptions<S>;
  search(input: SearchInput, opts: OptionsOf<S>): Promise<SearchResult>;
}

/** One line: a thrown error's message without its stack (a results row keeps a reason, not a trace). */
const oneLine = (e: unknown): string =>
  (e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e)).split(
    "\n",
  )[0] as string;

/** A search's answer as the contract allows it, or the reason it breaks the contract. */
function checkedResult(s: unknown): SearchResult | string {
  if (typeof s !== "object" || s === null)
    return `the search returned ${s === null ? "null" : typeof s}, not a result`;
  const r = s as Partial<SearchResult>;
  const d = r.diagnostics;
  if (typeof d !== "object" || d === null || Array.isArray(d))
    return "the search returned a result without diagnostics (an object, {} for none)";
  if (r.example !== undefined && !(ArrayBuffer.isView(r.example) || Array.isArray(r.example)))
    return "the search's example is not an array of numbers";
  return r as SearchResult;
}

/**
 * An attack from its search alone (Foolbox's pattern: one final entry point, a small part to
 * write). The entry point checks the options against the declared schema (an AttackOptionError,
 * thrown: the caller's input), times the run, skips points the network already misclassifies,
 * and turns a search that throws, or answers outside the contract (no diagnostics, an example of
 * the wrong length, with a non-finite value or outside the pixel box), into status "error" with
 * the reason. The search sees a copy of x*: ρ̂ is measured from rho's own, and a search that
 * writes into its copy changes nothing outside it. A well-formed example is checked by float64 and
 * float32 forward passes: only a verified example is reported adversarial, at ρ̂ = its L∞
 * distance to x*; any other is "unverified", never counted.
 */
/** An attack with its schema's literal type, from which its options' types follow (`GivenOptions<typeof a.options>`). */
export type TypedAttack<S extends OptionSchema> = Omit<Attack, "options"> & { readonly options: S };

export function defineAttack<const S extends OptionSchema>(spec: AttackSpec<S>): TypedAttack<S> {
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
      const resolved = resolveOptions(spec.name, spec.options, given); // checks the box too
      // a frozen copy: the search cannot move the box it is checked against
      const box = Object.freeze([...((resolved.box as [number, number] | undefined) ?? [0, 255])] as [
        number,
        number,
      ]);
      const options = Object.freeze({ ...resolved, box }) as unknown as OptionsOf<S>;
      const t0 = performance.now();
      // rho's own x*: every distance is measured from it, whatever the search does to its copy
      const x0 = Float64Array.from(point.pixels as ArrayLike<number>);
      const logits = ctx.net.forward64(x0).logits;
      const predicted = argmax(logits);
      const finish = (r: Omit<AttackResult, "attack" | "predicted" | "seconds">): AttackResult => ({
        attack: spec.name,
        predicted,
        seconds: (performance.now() - t0) / 1000,
        ...r,
      });
      const none = Number.POSITIVE_INFINITY;
      const failure = (
        message: string,
        diagnostics: Readonly<Record<string, unknown>> = {},
        timeout = false,
      ) =>
        finish({
          status: timeout ? "timeout" : "error",
          rho: none,
          diagnostics: { ...diagnostics, message },
        });
      if (!logits.every(Number.isFinite))
        return failure("the network's float64 logits at x* are not all finite");
      if (predicted !== point.label) return finish({ status: "misclassified", rho: 0, diagnostics: {} });
      const seen: Point = Object.freeze({
        pixels: Float64Array.from(x0),
        label: point.label,
        ...(point.index === undefined ? {} : { index: point.index }),
      });
      let answer: SearchResult | string;
      try {
        answer = checkedResult(
          await spec.search({ ctx, point: seen, logits: Float64Array.from(logits), predicted, box }, options),
        );
      } catch (e) {
        if (e instanceof AttackOptionError) throw e;
        return failure(oneLine(e));
      }
      if (typeof answer === "string") return failure(answer);
      const s = answer;
      if (s.error !== undefined) return failure(oneLine(s.error), s.diagnostics, s.timeout === true);
      if (s.example === undefined)
        return finish({ status: "not_found", rho: none, diagnostics: s.diagnostics });
      const defect = exampleDefect(s.example, x0.length, box);
      if (defect) return failure(defect, s.diagnostics);
      // a copy: what is verified and reported cannot change afterwards
      const example = Float64Array.from(s.example);
      const verified = await verifyExample(ctx, point.label, example, box);
      const ok = verified.float64 && verified.float32;
      const target =
        Number.isInteger(s.target) &&
        (s.target as number) >= 0 &&
        (s.target as number) < logits.length &&
        s.target !== point.label
          ? (s.target as number)
          : verified.predicted;
      return finish({
        status: ok ? "adversarial" : "unverified",
        rho: ok ? linf(example, x0) : none,
        ...(target >= 0 ? { target } : {}),
        adversarial: example,
        verified,
        diagnostics: s.diagnostics,
      });
    },
  };
  markWrapped(attack);
  return Object.freeze(attack) as TypedAttack<S>;
}
