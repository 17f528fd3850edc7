import { BoundMemoryError, checkMemory, getBoundMethod } from "@rho/bounds";
import type { Network } from "@rho/models";
import { UsageError } from "./errors.js";

/**
 * Refuses, before any work, a bound method whose memory estimate on this network exceeds the
 * limit (default: three quarters of the machine's): one line saying what it would need.
 */
export function checkBoundMemory(names: readonly string[], net: Network, limit?: number): void {
  for (const name of names)
    try {
      checkMemory(getBoundMethod(name), net, limit);
    } catch (e) {
      if (e instanceof BoundMemoryError) throw new UsageError(e.message);
      throw e;
    }
}
