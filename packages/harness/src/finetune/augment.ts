// Turning an eval round's verified adversarial examples into training images: rounded to whole
// pixels (a dataset stores bytes), kept only if the rounded image is still adversarial.
import { argmax, type Network } from "@rho/models";
import { decodeExample, type ResultRow } from "../eval/spec.js";

export interface Augmentation {
  /** Kept examples, image-major bytes, with their points' original labels. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  /** The training points each kept image came from. */
  readonly points: number[];
  /** Verified examples the attack found. */
  readonly verified: number;
  /** Of those, rounding to whole pixels made this many non-adversarial (dropped). */
  readonly droppedByRounding: number;
}

/**
 * The verified examples of `rows` (found against `net`), rounded and clipped to [0, 255] bytes;
 * each kept one is adversarial for `net` by a float64 forward pass and carries the original label.
 */
export function augmentation(net: Network, rows: readonly ResultRow[]): Augmentation {
  const n = net.inputSize;
  const kept: { bytes: Uint8Array; label: number; index: number }[] = [];
  let verified = 0;
  for (const r of rows) {
    if (!r.verified || r.example === undefined) continue;
    verified++;
    const bytes = Uint8Array.from(decodeExample(r.example), (v) => Math.min(255, Math.max(0, Math.round(v))));
    if (bytes.length !== n)
      throw new Error(`example of point ${r.index} has ${bytes.length} pixels, the model takes ${n}`);
    if (argmax(net.forward64(bytes).logits) !== r.label) kept.push({ bytes, label: r.label, index: r.index });
  }
  const images = new Uint8Array(kept.length * n);
  kept.forEach((k, i) => {
    images.set(k.bytes, i * n);
  });
  return {
    images,
    labels: Uint8Array.from(kept, (k) => k.label),
    points: kept.map((k) => k.index),
    verified,
    droppedByRounding: verified - kept.length,
  };
}

/** Training images and labels concatenated (the original set first). */
export function concatImages(parts: readonly { images: Uint8Array; labels: Uint8Array }[]): {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
} {
  const size = parts.reduce((t, p) => t + p.images.length, 0);
  const count = parts.reduce((t, p) => t + p.labels.length, 0);
  const images = new Uint8Array(size);
  const labels = new Uint8Array(count);
  let i = 0;
  let l = 0;
  for (const p of parts) {
    images.set(p.images, i);
    labels.set(p.labels, l);
    i += p.images.length;
    l += p.labels.length;
  }
  return { count, images, labels };
}
