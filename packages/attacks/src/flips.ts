// Descent's escape from a region whose tight facets lead nowhere better: the regions just across
// the nearest facets that are not tight at the optimum.
import type { AffineForm, LinearRegion } from "@rho/encoders";

/** Facets shortlisted by value / scale before their exact distances are computed (per flip asked for). */
const SHORTLIST_PER_FLIP = 8;

/**
 * The least L∞ step from x, inside the box, that brings the affine form f (value v > 0 at x) to
 * zero: each pixel moves against the sign of its coefficient, by at most its room to the box, so
 * the form falls by Σ |a_i|·min(s, room_i) at step s. ∞ where the box does not let it reach zero.
 */
export function facetDistance(f: AffineForm, x: Float64Array, box: readonly [number, number]): number {
  let v = f.constant;
  const moves: { rate: number; room: number }[] = [];
  for (let k = 0; k < f.indices.length; k++) {
    const i = f.indices[k] as number;
    const a = f.values[k] as number;
    const xi = x[i] as number;
    v += a * xi;
    const room = a > 0 ? xi - box[0] : a < 0 ? box[1] - xi : 0;
    if (room > 0) moves.push({ rate: Math.abs(a), room });
  }
  if (!(v > 0)) return 0;
  // rooms in increasing order: between consecutive rooms the form falls at the summed rate of
  // the pixels not yet at the box
  moves.sort((p, q) => p.room - q.room);
  let rate = moves.reduce((s, m) => s + m.rate, 0);
  let at = 0;
  for (const m of moves) {
    const fall = rate * (m.room - at);
    if (fall >= v) return at + v / rate;
    v -= fall;
    at = m.room;
    rate -= m.rate;
  }
  return Number.POSITIVE_INFINITY;
}

/** x moved by an L∞ step s against f's coefficients (each pixel by at most its room to the box). */
export function stepAcross(
  f: AffineForm,
  x: Float64Array,
  box: readonly [number, number],
  s: number,
): Float64Array {
  const p = Float64Array.from(x);
  for (let k = 0; k < f.indices.length; k++) {
    const i = f.indices[k] as number;
    const a = f.values[k] as number;
    const xi = x[i] as number;
    if (a > 0) p[i] = Math.max(box[0], xi - s);
    else if (a < 0) p[i] = Math.min(box[1], xi + s);
  }
  return p;
}

/**
 * Points just across the k region facets nearest to x (in L∞, within the box) that are not tight
 * there (those within `tiedBelow` of their switching surface are the descent's "across" step's),
 * nearest first. Each lies a little past its facet, in a neighbouring linear region.
 */
export function acrossNearestFacets(
  region: LinearRegion,
  x: Float64Array,
  box: readonly [number, number],
  k: number,
  tiedBelow: number,
): Float64Array[] {
  const { values, scales } = region.evaluate(x);
  const open: number[] = [];
  for (let id = 0; id < values.length; id++) if ((values[id] as number) > tiedBelow) open.push(id);
  // a cheap order first (value over magnitude), exact distances for the shortlist only: each
  // facet's form over the pixels is a reverse pass
  const key = (id: number) => (values[id] as number) / Math.max(scales[id] as number, 1e-300);
  const shortlist = open.sort((p, q) => key(p) - key(q)).slice(0, SHORTLIST_PER_FLIP * k);
  return shortlist
    .map((id) => {
      const f = region.inequality(id);
      return { f, d: facetDistance(f, x, box) };
    })
    .filter((c) => Number.isFinite(c.d))
    .sort((p, q) => p.d - q.d)
    .slice(0, k)
    .map(({ f, d }) => stepAcross(f, x, box, d * (1 + 1e-6) + 1e-9));
}
