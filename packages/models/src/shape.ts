/** A tensor shape without the batch axis: [height, width, channels] (channels last) or [length]. */
export type Shape = readonly [number, number, number] | readonly [number];

export const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);
export const isImage = (s: Shape): s is readonly [number, number, number] => s.length === 3;
export const showShape = (s: Shape): string => s.join("×");

export type Padding = "valid" | "same";

/**
 * Output length and leading pad of a sliding window, TensorFlow's convention: "valid" keeps
 * windows inside the input; "same" gives ceil(n / stride) outputs, padding (k − 1)-ish in total
 * with the smaller half before.
 */
export function window(
  n: number,
  k: number,
  stride: number,
  padding: Padding,
): { out: number; padBefore: number; padAfter: number } {
  if (padding === "valid") return { out: Math.floor((n - k) / stride) + 1, padBefore: 0, padAfter: 0 };
  const out = Math.ceil(n / stride);
  const total = Math.max((out - 1) * stride + k - n, 0);
  const padBefore = Math.floor(total / 2);
  return { out, padBefore, padAfter: total - padBefore };
}
