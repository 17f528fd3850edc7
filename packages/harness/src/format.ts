// How the CLI and reports print statistics: percentages and pixels, "—" for undefined values.
import { createHash } from "node:crypto";
import type { Estimate } from "@rho/metrics";

export const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : "—");
export const px = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : "—");

/** A value with its 95% interval, e.g. "4.0% [1.6, 9.8]" or "13.41 [11.02, 15.80]". */
export function withInterval(e: Estimate, kind: "pct" | "px"): string {
  if (!Number.isFinite(e.value)) return "—";
  const f = kind === "pct" ? (v: number) => (100 * v).toFixed(1) : (v: number) => v.toFixed(2);
  return `${kind === "pct" ? pct(e.value) : px(e.value)} [${f(e.lower)}, ${f(e.upper)}]`;
}

/** Test accuracy as the model cards and training print it: "99.21%". */
export const accuracyPct = (v: number): string => `${(100 * v).toFixed(2)}%`;

/** A name as a file or directory name: runs of other characters become "_". */
export const slug = (name: string): string => name.replace(/[^A-Za-z0-9._-]+/g, "_");

/**
 * A name as a file name that is also safe in a URL ("/", "#", "?" and the like gone), distinct for
 * distinct names: a name that had to change gets a short hash of itself ("a/b" and "a_b" differ).
 */
export const fileSlug = (name: string): string => {
  const s = slug(name).replace(/^\.+/, "_");
  return s === name ? s : `${s}-${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
};
