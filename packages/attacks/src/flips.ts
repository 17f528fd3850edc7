// Descent's escape from a region whose tight facets lead nowhere better: the regions just across
// the nearest facets that are not tight at the optimum.
import type { LinearRegion } from "@rho/encoders";
import { projectToHyperplane } from "./fab.js";

/** Facets shortlisted by value / scale before their exact distances are computed (per flip asked for). */
const SHORTLIST_PER_FLIP = 8;

/** How far past its facet (a share of the facet's value at x) a point is put, so it lies across. */
const PAST = 1e-6;

/**
 * Points just across the k region facets nearest to x (in L∞, within the box) that are not tight
 * there (those within `tiedBelow` of their switching surface are the descent's "across" step's),
 * nearest first. Each is x moved by the smallest L∞ step in the box to just past its facet
 * (FAB's projection), in a neighbouring linear region; facets the box keeps out of reach are left out.
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
    .flatMap((id) => {
      // the facet a·x + c ≥ 0 (value v > 0 at x), moved to a·x = −c − PAST·v
      const f = region.inequality(id);
      const w = new Float64Array(x.length);
      f.indices.forEach((i, j) => {
        w[i] = f.values[j] as number;
      });
      const v = values[id] as number;
      const step = projectToHyperplane(x, w, -f.constant - PAST * v, box);
      const p = x.map((xi, i) => xi + (step[i] as number));
      let at = f.constant;
      for (let i = 0; i < p.length; i++) at += (w[i] as number) * (p[i] as number);
      if (!(at < 0)) return []; // out of the box's reach
      return [{ p, d: step.reduce((m, s) => Math.max(m, Math.abs(s)), 0) }];
    })
    .sort((a, b) => a.d - b.d)
    .slice(0, k)
    .map((c) => c.p);
}
