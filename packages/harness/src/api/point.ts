// One attack, or one certifying method, on one dataset point — the work behind `rho attack` and
// `rho bound`, with the model, data and point named the way the CLI names them.
import { type AttackFamily, type AttackResult, tfjsContext } from "@rho/attacks";
import { boundRho, getBoundMethod, type RhoBound } from "@rho/bounds";
import type { BackendName } from "@rho/models";
import { attackByName, checkTarget, resolveGiven } from "../attack-options.js";
import { checkBoundMemory } from "../bound-memory.js";
import { UsageError } from "../errors.js";
import { chooseBackend, loadPoint } from "../inputs.js";

export interface PointRequest {
  /** A model folder, an .onnx file, or a shipped model's name. */
  readonly model: string;
  readonly dataset: string;
  readonly dataDir?: string;
  /** Default "test". */
  readonly split?: "train" | "test";
  readonly index: number;
}

export interface AttackRequestOptions extends PointRequest {
  readonly attack: string;
  /** Checked against the attack's schema, defaults filled in. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Unless the options give one (default "second"). */
  readonly target?: "second" | "all" | number;
  readonly backend?: BackendName | "auto";
}

export interface PointAttack {
  /** The point's true label and its pixels (0–255). */
  readonly label: number;
  readonly pixels: Uint8Array;
  readonly family: AttackFamily;
  /** The TensorFlow.js backend that ran the float32 checks (and gradients). */
  readonly backend: string;
  /** ρ̂ and the example, verified by float64 and float32 forward passes. */
  readonly result: AttackResult;
}

/** One attack on one point. Bad input (names, options, an index outside the split) throws a UsageError. */
export async function attack(o: AttackRequestOptions): Promise<PointAttack> {
  const a = attackByName(o.attack);
  const target = o.target ?? "second";
  const [options] = resolveGiven([a], [o.options ?? {}], { target });
  const { net, pixels, label } = await loadPoint({ ...o, split: o.split ?? "test" });
  checkTarget(target, net.outputSize);
  const backend = await chooseBackend(o.backend ?? "auto");
  const ctx = await tfjsContext(net);
  const result = await a.run(ctx, { pixels, label, index: o.index }, options ?? {});
  return { label, pixels, family: a.family, backend, result };
}

export interface BoundRequestOptions extends PointRequest {
  /** A certifying method of @rho/bounds: ibp, crown, milp. */
  readonly method: string;
  /** The largest ε tried (default 64), the bisection's tolerance (0.01) and milp's time limit, s (60). */
  readonly epsMax?: number;
  readonly tolerance?: number;
  readonly timeLimit?: number;
  /** Bytes the method may use (default: three quarters of the machine's memory); more: a UsageError at once. */
  readonly memoryLimit?: number;
}

export type PointBound =
  | { readonly label: number; readonly predicted: number; readonly status: "misclassified" }
  | ({ readonly label: number; readonly predicted: number } & RhoBound);

/**
 * A certified lower bound ρ_lb on one point's ρ (the largest ε the method certifies, by
 * bisection), and an upper bound where it finds a witness. A point the model misclassifies has ρ = 0.
 */
export async function bound(o: BoundRequestOptions): Promise<PointBound> {
  let method: ReturnType<typeof getBoundMethod>;
  try {
    method = getBoundMethod(o.method);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { net, pixels, label } = await loadPoint({ ...o, split: o.split ?? "test" });
  checkBoundMemory([method.name], net, o.memoryLimit);
  const predicted = net.predict64(pixels);
  if (predicted !== label) return { label, predicted, status: "misclassified" };
  const r = await boundRho(method, net, pixels, label, {
    epsMax: o.epsMax ?? 64,
    tolerance: o.tolerance ?? 0.01,
    timeLimit: o.timeLimit ?? 60,
  });
  return { label, predicted, ...r };
}
