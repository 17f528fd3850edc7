import type { Network } from "@rho/models";
import type { LayersModel } from "@tensorflow/tfjs";
import type { OptionSchema } from "./options.js";
import type { wrapped } from "./wrapped.js";

/** One test point: raw pixels (dataset units, 0–255) and its true label. */
export interface Point {
  readonly pixels: ArrayLike<number>;
  readonly label: number;
  readonly index?: number;
}

/** What an attack may use besides the network: the float32 (TensorFlow.js) model for verification. */
export interface AttackContext {
  readonly net: Network;
  /**
   * The deployed float32 model's logits for a batch of raw-pixel images, row after row. Without
   * it, verification builds the network's TensorFlow.js model itself: the float32 pass is never skipped.
   */
  readonly logits32?: (images: ArrayLike<number>[]) => Promise<ArrayLike<number>>;
  /** The float32 TensorFlow.js model on preprocessed inputs, for gradient attacks (built from net when absent). */
  readonly model?: LayersModel;
}

export interface AttackOptions {
  /** Which label to move to: the second most probable (the paper's choice), all others, or one. */
  readonly target?: "second" | "all" | number;
  /** Pixel box of valid inputs (default [0, 255]). */
  readonly box?: readonly [number, number];
  /** Attack-specific options. */
  readonly [key: string]: unknown;
}

/**
 * adversarial: a verified example with another label at L∞ distance rho.
 * not_found: no example (rho = Infinity), e.g. none in the linear region.
 * unverified: the attack proposed an example a forward pass does not confirm; never counted.
 * misclassified: the model already gets x* wrong; nothing to attack.
 * error: the attack failed (solver error, a thrown error…); `diagnostics.message` says why.
 * timeout: a solver stopped at its time limit before the attack had an answer.
 */
export type AttackStatus = "adversarial" | "not_found" | "unverified" | "misclassified" | "error" | "timeout";

/**
 * minimum-distance: returns ρ̂, an upper bound on ρ (the smallest adversarial distance it found).
 * fixed-epsilon: answers "adversarial within its radius `eps`?"; its distance is no estimate of ρ,
 * so it has no severity and no Figure 3 curve, only a frequency.
 */
export type AttackFamily = "minimum-distance" | "fixed-epsilon";

export interface AttackResult {
  readonly attack: string;
  readonly status: AttackStatus;
  /** ρ̂: L∞ distance (pixel units) of the verified example; Infinity when there is none. */
  readonly rho: number;
  readonly target?: number;
  readonly adversarial?: Float64Array;
  readonly predicted: number;
  readonly verified?: {
    /** The label the float64 forward pass gives the example. */
    readonly predicted: number;
    /** The float64 forward pass labels the example differently from x*. */
    readonly float64: boolean;
    /** The float32 model does too, with finite logits. */
    readonly float32: boolean;
    /** Rounded to integer pixels (and clipped to the box) it is still adversarial in float64. */
    readonly rounded: boolean;
  };
  readonly seconds: number;
  readonly diagnostics: Readonly<Record<string, unknown>>;
}

/**
 * An attack: one file calling `defineAttack` and one `registerAttack` call. Only `defineAttack`
 * makes one (the brand below cannot be written elsewhere), so every registered attack verifies its
 * examples by forward passes and checks its options.
 */
export interface Attack {
  readonly [wrapped]: true;
  readonly name: string;
  readonly description: string;
  readonly family: AttackFamily;
  /** Every option the attack takes besides `box`; unknown keys and bad values are refused. */
  readonly options: OptionSchema;
  /**
   * Options used when this attack generates adversarial examples to train on (rho finetune),
   * under any the user gives: e.g. the paper's ALP margin α = 3.0.
   */
  readonly trainingOptions?: AttackOptions;
  run(ctx: AttackContext, point: Point, opts?: AttackOptions): Promise<AttackResult>;
}
