/** A tensor shape without the batch axis: [height, width, channels] (channels last) or [length]. */
export type Shape = readonly [number, number, number] | readonly [number];

export const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);
export const isImage = (s: Shape): s is readonly [number, number, number] => s.length === 3;
export const showShape = (s: Shape): string => s.join("×");

/** Explicit padding in cells on each side of an image (ONNX's and PyTorch's convention). */
export interface Pads {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/**
 * "valid": no padding; "same": TensorFlow's (ceil(n / stride) outputs, the smaller half of the
 * padding first); or explicit pads, as PyTorch's `padding=1` and ONNX's `pads` give them.
 */
export type Padding = "valid" | "same" | Pads;

export const isPads = (p: Padding): p is Pads => typeof p === "object";

/**
 * Output length and padding of a sliding window along one axis (0: height, 1: width). Explicit
 * pads may be asymmetric; every window starts inside the input or its leading pad.
 */
export function window(
  n: number,
  k: number,
  stride: number,
  padding: Padding,
  axis: 0 | 1 = 0,
): { out: number; padBefore: number; padAfter: number } {
  if (padding === "valid") return { out: Math.floor((n - k) / stride) + 1, padBefore: 0, padAfter: 0 };
  if (isPads(padding)) {
    const padBefore = axis === 0 ? padding.top : padding.left;
    const padAfter = axis === 0 ? padding.bottom : padding.right;
    return { out: Math.floor((n + padBefore + padAfter - k) / stride) + 1, padBefore, padAfter };
  }
  const out = Math.ceil(n / stride);
  const total = Math.max((out - 1) * stride + k - n, 0);
  const padBefore = Math.floor(total / 2);
  return { out, padBefore, padAfter: total - padBefore };
}

/** The explicit pads a padding amounts to on an h×w input. */
export function padsOf(
  padding: Padding,
  h: number,
  w: number,
  k: readonly [number, number],
  s: readonly [number, number],
): Pads {
  const y = window(h, k[0], s[0], padding, 0);
  const x = window(w, k[1], s[1], padding, 1);
  return { top: y.padBefore, bottom: y.padAfter, left: x.padBefore, right: x.padAfter };
}

/**
 * Checks a padding: explicit pads are non-negative integers, and for a pool (`window` given) each
 * is smaller than the window, so that no window lies wholly in the padding.
 */
export function checkPadding(padding: Padding, window?: readonly [number, number]): void {
  if (!isPads(padding)) {
    if (padding !== "valid" && padding !== "same")
      throw new Error(
        `padding ${JSON.stringify(padding)} is not "valid", "same" or {top, bottom, left, right}`,
      );
    return;
  }
  const { top, bottom, left, right } = padding;
  const ok = (p: unknown, k: number | undefined) =>
    Number.isInteger(p) &&
    (p as number) >= 0 &&
    (p as number) <= 65536 &&
    (k === undefined || (p as number) < k);
  if (!(ok(top, window?.[0]) && ok(bottom, window?.[0]) && ok(left, window?.[1]) && ok(right, window?.[1])))
    throw new Error(
      `pads top ${top}, bottom ${bottom}, left ${left}, right ${right} must be non-negative integers${window ? ` smaller than the ${window[0]}×${window[1]} window` : ""}`,
    );
}

export const showPadding = (p: Padding): string =>
  isPads(p) ? `pads ${p.top},${p.bottom},${p.left},${p.right}` : p;
