import type { OutputRow, SpecCase, VnnSpec } from "./vnnlib.js";

/** Whether input x and output y lie in the unsafe set a spec describes (what `sat` means). */
export function violates(spec: VnnSpec, x: ArrayLike<number>, y: ArrayLike<number>): boolean {
  return spec.cases.some((c) => inBox(c, x) && c.outputs.some((rows) => satisfies(rows, y)));
}

/** Whether outputs y satisfy every row of a conjunction (coef·y ≤ bound). */
export const satisfies = (rows: readonly OutputRow[], y: ArrayLike<number>): boolean =>
  rows.every((r) => dot(r.coef, y) <= r.bound);

export function inBox(c: SpecCase, x: ArrayLike<number>): boolean {
  for (let i = 0; i < c.lo.length; i++) {
    const v = x[i] as number;
    if (!(v >= (c.lo[i] as number) && v <= (c.hi[i] as number))) return false;
  }
  return true;
}

/** x with every coordinate clipped into the case's box. */
export const clampToBox = (c: SpecCase, x: ArrayLike<number>): Float64Array =>
  Float64Array.from(x, (v, i) => Math.min(c.hi[i] as number, Math.max(c.lo[i] as number, v)));

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

/** The least coef·y can be with y in the outputs' interval (IBP's bound of a row). */
export function intervalBound(r: OutputRow, y: { lo: ArrayLike<number>; hi: ArrayLike<number> }): number {
  let v = 0;
  for (let j = 0; j < r.coef.length; j++) {
    const a = r.coef[j] as number;
    v += a * (a >= 0 ? (y.lo[j] as number) : (y.hi[j] as number));
  }
  return v;
}
