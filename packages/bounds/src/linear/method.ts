import type { Layer, Network, Shape } from "@rho/models/core";
import { ballBox, inputInterval, intervalBounds } from "../intervals/ibp.js";
import { type Interval, ruleFor } from "../intervals/rules.js";
import { crownBytes } from "../memory.js";
import type { BoundMethod, Certificate, Query } from "../method.js";
import { affineMap, linearLowerBounds, lowerBounds, minOverBox, SLOPE_CANDIDATES } from "./crown.js";
import { boxMinimiser, tightSlopes } from "./tight-slopes.js";

/** Budget of backward work (rows × layer values) spent on tightening one intermediate layer. */
const INTERMEDIATE_BUDGET = 3e7;

const cells = (s: Shape) => s.reduce((a, b) => a * b, 1);

/**
 * Budget of backward work (rows × the network's matrix entries) for trying the other lower slopes.
 * They raise ρ_lb on the MLP for little time (benchmarks/bounds/README.md); on LeNet (2 M entries
 * a row, mostly its convolutions) they gained nothing when tried and cost much of a point's time,
 * so the budget keeps them to small networks.
 */
const SLOPE_SEARCH_BUDGET = 5e6;

/** Matrix entries of the network's affine layers: the cost of carrying one row back. */
const backwardEntries = new WeakMap<Network, number>();
function entriesOf(net: Network): number {
  let n = backwardEntries.get(net);
  if (n === undefined) {
    n = net.layers.reduce((sum, layer, l) => {
      if (layer.kind === "relu" || layer.kind === "maxpool") return sum + cells(net.inShapes[l] as Shape);
      return sum + affineMap(layer, net.inShapes[l] as Shape, net.shapes[l + 1] as Shape).indices.length;
    }, 0);
    backwardEntries.set(net, n);
  }
  return n;
}
const nonlinear = (l: Layer | undefined) => l?.kind === "relu" || l?.kind === "maxpool";
/** Whether a ReLU or max-pool reads value k (whose relaxation its bounds shape). */
const feedsNonlinear = (net: Network, k: number) =>
  net.layers.some((l, j) => nonlinear(l) && (net.inputs[j] as readonly number[]).includes(k));

/** Value k's bounds by IBP from the values below it in `bounds`, within `floor` (k ≥ 1). */
function ibpWithin(net: Network, k: number, bounds: readonly Interval[], floor: Interval): Interval {
  const layer = net.layers[k - 1] as Layer;
  const next = ruleFor(layer).propagate(
    layer,
    inputInterval(net, k - 1, bounds),
    net.inShapes[k - 1] as Shape,
    net.shapes[k] as Shape,
  );
  return {
    lo: next.lo.map((v, i) => Math.max(v, floor.lo[i] as number)),
    hi: next.hi.map((v, i) => Math.min(v, floor.hi[i] as number)),
  };
}

/** Tightens `units` of value k's bounds (in place) by CROWN from the bounds below k. */
function crownUnits(
  net: Network,
  bounds: readonly Interval[],
  k: number,
  units: readonly number[],
  pixels: Interval,
): void {
  const b = bounds[k] as Interval;
  const n = b.lo.length;
  const rows = units.flatMap((i) => {
    const up = new Float64Array(n);
    up[i] = 1;
    const down = new Float64Array(n);
    down[i] = -1;
    return [up, down];
  });
  if (!rows.length) return;
  const lb = lowerBounds(net, bounds, k, rows, pixels);
  units.forEach((i, r) => {
    b.lo[i] = Math.max(b.lo[i] as number, lb[2 * r] as number);
    b.hi[i] = Math.min(b.hi[i] as number, -(lb[2 * r + 1] as number));
  });
}

/**
 * Bounds of every layer's values: IBP layer by layer, and where the next layer is a ReLU or a
 * max-pool and the backward pass is cheap enough, CROWN's bounds on that layer's values too (the
 * tighter of the two, so never looser than IBP); later layers start from the tightened bounds.
 */
export function crownBounds(net: Network, pixels: Interval): { bounds: Interval[]; tightened: number } {
  const ibp = intervalBounds(net, pixels);
  const bounds: Interval[] = [ibp[0] as Interval];
  let tightened = 0;
  let work = 0; // values of the layers below: the cost of one backward row
  for (let k = 0; k <= net.layers.length; k++) {
    if (k > 0) {
      bounds.push(ibpWithin(net, k, bounds, ibp[k] as Interval));
      work += cells(net.inShapes[k - 1] as Shape) + cells(net.shapes[k] as Shape);
    }
    const n = cells(net.shapes[k] as Shape);
    if (k > 0 && feedsNonlinear(net, k) && 2 * n * work * 8 <= INTERMEDIATE_BUDGET) {
      crownUnits(
        net,
        bounds,
        k,
        Array.from({ length: n }, (_, i) => i),
        pixels,
      );
      tightened++;
    }
  }
  return { bounds, tightened };
}

/**
 * `bounds` (every layer's, over `pixels` or a part of it) with the values from `from` up
 * recomputed: IBP layer by layer, and CROWN's bounds on the units whose relaxation they shape
 * (a ReLU's unstable inputs, a max-pool's every input), each kept where tighter than before. After
 * a branch-and-bound split below `from`, this is how the split reaches the layers above: the
 * split unit's ReLU is exact there, which IBP alone hardly carries through deep layers.
 * undefined when some value's bounds cross (the part is empty).
 */
export function refineBounds(
  net: Network,
  bounds: readonly Interval[],
  from: number,
  pixels: Interval,
): Interval[] | undefined {
  const out = bounds.slice();
  for (let k = Math.max(1, from); k <= net.layers.length; k++) {
    const b = ibpWithin(net, k, out, out[k] as Interval);
    out[k] = b;
    if (feedsNonlinear(net, k)) {
      const all = net.layers.some(
        (l, j) => l.kind === "maxpool" && (net.inputs[j] as readonly number[]).includes(k),
      );
      const units: number[] = [];
      for (let i = 0; i < b.lo.length; i++)
        if (all || ((b.lo[i] as number) < 0 && (b.hi[i] as number) > 0)) units.push(i);
      crownUnits(net, out, k, units, pixels);
    }
    for (let i = 0; i < b.lo.length; i++) if ((b.lo[i] as number) > (b.hi[i] as number)) return undefined;
  }
  return out;
}

/**
 * Lower bounds on the margins z_label − z_j over the pixel box, per label j (+∞ at the label):
 * CROWN with its adaptive slopes; where a margin stays unproven and the backward work is small,
 * the other candidate lower slopes too (every one is sound), each margin keeping its best bound;
 * never below IBP's margin.
 */
export function marginBounds(
  net: Network,
  bounds: readonly Interval[],
  pixels: Interval,
  label: number,
): Float64Array {
  const L = net.layers.length;
  const logits = bounds[L] as Interval;
  const k = logits.lo.length;
  const others = Array.from({ length: k }, (_, j) => j).filter((j) => j !== label);
  const rows = others.map((j) => {
    const r = new Float64Array(k);
    r[label] = 1;
    r[j] = -1;
    return r;
  });
  const first = linearLowerBounds(net, bounds, L, rows, pixels);
  const lb = minOverBox(first, pixels);
  const search = rows.length * entriesOf(net) <= SLOPE_SEARCH_BUDGET;
  // each open margin again with slopes tight where its bound was least, then the candidates
  if (search)
    rows.forEach((row, i) => {
      if ((lb[i] as number) > 0) return;
      const slope = tightSlopes(net, boxMinimiser(first.coef[i] as Float64Array, pixels));
      const v = lowerBounds(net, bounds, L, [row], pixels, slope)[0] as number;
      lb[i] = Math.max(lb[i] as number, v);
    });
  for (const slope of search ? SLOPE_CANDIDATES.slice(1) : []) {
    if (lb.every((v) => v > 0)) break;
    const open = rows.flatMap((_, i) => ((lb[i] as number) > 0 ? [] : [i]));
    const more = lowerBounds(
      net,
      bounds,
      L,
      open.map((i) => rows[i] as Float64Array),
      pixels,
      slope,
    );
    open.forEach((i, j) => {
      lb[i] = Math.max(lb[i] as number, more[j] as number);
    });
  }
  const margins = new Float64Array(k).fill(Number.POSITIVE_INFINITY);
  others.forEach((j, r) => {
    const ibpMargin = (logits.lo[label] as number) - (logits.hi[j] as number);
    margins[j] = Math.max(lb[r] as number, ibpMargin);
  });
  return margins;
}

/**
 * CROWN: the margins z_label − z_j bounded below by backward linear propagation, over bounds from
 * `crownBounds`. Certified when every margin's bound is positive. The pixels where a margin's
 * bound is attained are tried as witnesses: one the network labels otherwise falsifies the ball.
 */
export const crown: BoundMethod = {
  name: "crown",
  description: "backward linear bound propagation (CROWN/DeepPoly) over IBP/CROWN intermediate bounds",
  memoryBytes: crownBytes,
  async certify(q: Query): Promise<Certificate> {
    const pixels = ballBox(q.center, q.eps, q.box);
    const { bounds, tightened } = crownBounds(q.net, pixels);
    // +∞ at the label itself
    const margin = Math.min(...marginBounds(q.net, bounds, pixels, q.label));
    const diagnostics = { margin, tightenedLayers: tightened };
    return { status: margin > 0 ? "certified" : "unknown", diagnostics };
  },
};
