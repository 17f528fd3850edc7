import { argmax } from "@rho/models";
import type { Attack, AttackContext, AttackOptions, AttackResult, Point } from "./attack.js";
import { linf, verifyExample } from "./verify.js";

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
  /** Set when the search failed (solver error, limit): reported as status "error". */
  readonly error?: string;
  readonly diagnostics: Readonly<Record<string, unknown>>;
}

export interface AttackSpec<O extends AttackOptions> {
  readonly name: string;
  readonly description: string;
  /** See Attack.trainingOptions. */
  readonly trainingOptions?: O;
  search(input: SearchInput, opts: O): Promise<SearchResult>;
}

/**
 * An attack from its search alone (Foolbox's pattern: one final entry point, a small part to
 * write). The entry point times the run, skips points the network already misclassifies, and
 * checks the proposed example by forward passes: only a verified example is reported
 * adversarial, at ρ̂ = its L∞ distance to x*; any other proposal is "unverified", never counted.
 */
export function defineAttack<O extends AttackOptions>(spec: AttackSpec<O>): Attack {
  return {
    name: spec.name,
    description: spec.description,
    ...(spec.trainingOptions ? { trainingOptions: spec.trainingOptions } : {}),
    async run(ctx: AttackContext, point: Point, options: AttackOptions = {}): Promise<AttackResult> {
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
      const s = await spec.search({ ctx, point, logits, predicted, box }, options as O);
      const none = Number.POSITIVE_INFINITY;
      if (s.error !== undefined)
        return finish({ status: "error", rho: none, diagnostics: { ...s.diagnostics, message: s.error } });
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
}
