// One interface for methods that certify: given the network, x*, its label and ε (the L∞ ball
// intersected with the pixel box), is every point of the ball given the label?
import type { Network } from "@rho/models/core";
import type { RhoBound } from "./bisect.js";

export interface Query {
  readonly net: Network;
  /** x*, raw pixels (dataset units). */
  readonly center: ArrayLike<number>;
  /** The label the network gives x* (the one to certify). */
  readonly label: number;
  /** Radius of the L∞ ball, pixels. */
  readonly eps: number;
  /** Valid pixels, default [0, 255]. */
  readonly box: readonly [number, number];
}

/**
 * certified: no other label wins anywhere in the ball (sound for the float32 and float64
 * network). falsified: a witness in the ball with another label, verified by a forward pass.
 * unknown: neither.
 */
export type CertifyStatus = "certified" | "falsified" | "unknown";

export interface Certificate {
  readonly status: CertifyStatus;
  /** The witness of "falsified". */
  readonly witness?: Float64Array;
  readonly diagnostics: Readonly<Record<string, unknown>>;
}

export interface BoundMethod {
  readonly name: string;
  readonly description: string;
  certify(q: Query): Promise<Certificate>;
  /** A direct minimum-distance form (the MILP's); without one, `boundRho` bisects on `certify`. */
  rho?(
    net: Network,
    center: ArrayLike<number>,
    label: number,
    opts: { epsMax?: number; timeLimit?: number; box?: readonly [number, number] },
  ): Promise<RhoBound>;
  /** Estimated peak memory on this network, bytes (`checkMemory` refuses what exceeds the limit). */
  memoryBytes?(net: Network): number;
}

const methods = new Map<string, BoundMethod>();
export function registerBoundMethod(m: BoundMethod): void {
  methods.set(m.name, m);
}
export const boundMethodNames = (): string[] => [...methods.keys()];
export function getBoundMethod(name: string): BoundMethod {
  const m = methods.get(name);
  if (!m) throw new Error(`unknown bound method "${name}"; known: ${boundMethodNames().join(", ")}`);
  return m;
}
