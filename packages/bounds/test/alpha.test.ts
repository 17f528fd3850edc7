// α-CROWN: the gradient the ascent follows is the bound's (finite differences agree), the
// optimised bound is never below its start, and it stays sound at every sampled input.
import { prng } from "@rho/models";
import fc from "fast-check";
import { expect, it } from "vitest";
import {
  ADAPTIVE_SLOPE,
  alphaBounds,
  alphaLowerBound,
  crownBounds,
  type Interval,
  lowerBounds,
  reluInputs,
} from "../src/index.js";
import { boundAndGradient } from "../src/linear/alpha.js";
import { arbCase, boxAt } from "./cases.js";

it("follows the bound's gradient: finite differences in each slope agree", () => {
  let compared = 0;
  fc.assert(
    fc.property(arbCase, ({ net, corner, row, seed }) => {
      const box = boxAt(corner);
      const { bounds } = crownBounds(net, box);
      const rand = prng(seed);
      const L = net.layers.length;
      const r = Float64Array.from(row);
      // random slopes away from 0 and 1, one per unit
      const alpha = new Map(
        net.layers.flatMap((l, i) =>
          l.kind === "relu"
            ? [[i, Float64Array.from((bounds[i] as Interval).lo, () => 0.1 + 0.8 * rand())] as const]
            : [],
        ),
      );
      const base = boundAndGradient(net, bounds, L, r, box, alpha);
      const h = 1e-6;
      for (const [layer, g] of base.grad)
        for (let i = 0; i < g.length; i++) {
          const a = alpha.get(layer) as Float64Array;
          const keep = a[i] as number;
          a[i] = keep + h;
          const up = boundAndGradient(net, bounds, L, r, box, alpha).value;
          a[i] = keep - h;
          const down = boundAndGradient(net, bounds, L, r, box, alpha).value;
          a[i] = keep;
          // piecewise linear: one side's difference equals the gradient unless a kink lies within h
          // (the float32 rounding terms, |a|·δ, are left out of the gradient: 1e-3 covers them)
          const sides = [(up - base.value) / h, (base.value - down) / h];
          const tol = 1e-3 * (1 + Math.abs(g[i] as number));
          expect(sides.some((d) => Math.abs(d - (g[i] as number)) <= tol)).toBe(true);
          compared++;
        }
    }),
    { numRuns: 150 },
  );
  expect(compared).toBeGreaterThan(100);
});

it("is never below the starting slopes' bound, sound at sampled inputs, and higher on some", () => {
  let higher = 0;
  fc.assert(
    fc.property(arbCase, ({ net, corner, row, seed }) => {
      const box = boxAt(corner);
      const { bounds } = crownBounds(net, box);
      const L = net.layers.length;
      const r = Float64Array.from(row);
      const start = lowerBounds(net, bounds, L, [Float64Array.from(r)], box, ADAPTIVE_SLOPE)[0] as number;
      const opt = alphaLowerBound(net, bounds, L, r, box, { iterations: 30 });
      expect(opt.value).toBeGreaterThanOrEqual(start);
      if (opt.value > start + 1e-9 * (1 + Math.abs(start))) higher++;
      const rand = prng(seed);
      for (let s = 0; s < 200; s++) {
        const p = Float64Array.from(box.lo, (l) => l + 2 * rand());
        const y = net.forward64(p).logits;
        const v = r.reduce((t, c, j) => t + c * (y[j] as number), 0);
        expect(opt.value).toBeLessThanOrEqual(v);
      }
    }),
    { numRuns: 150 },
  );
  console.info(`α-CROWN above CROWN's adaptive slopes on ${higher} of 150 random cases`);
  expect(higher).toBeGreaterThan(10);
});

it("tightens every ReLU's input bounds soundly: never looser than CROWN's, holding at sampled inputs", () => {
  let tighter = 0;
  fc.assert(
    fc.property(arbCase, ({ net, corner, seed }) => {
      const box = boxAt(corner);
      const { bounds } = crownBounds(net, box);
      const { bounds: tight, complete } = alphaBounds(net, box, bounds, { iterations: 20 });
      expect(complete).toBe(true);
      for (const { value } of reluInputs(net)) {
        const [b, t] = [bounds[value] as Interval, tight[value] as Interval];
        for (let i = 0; i < b.lo.length; i++) {
          expect(t.lo[i] as number).toBeGreaterThanOrEqual(b.lo[i] as number);
          expect(t.hi[i] as number).toBeLessThanOrEqual(b.hi[i] as number);
          if ((t.lo[i] as number) > (b.lo[i] as number) || (t.hi[i] as number) < (b.hi[i] as number))
            tighter++;
        }
      }
      const rand = prng(seed);
      for (let s = 0; s < 200; s++) {
        const p = Float64Array.from(box.lo, (l) => l + 2 * rand());
        const acts = net.forward64(p).activations;
        tight.forEach((t, v) => {
          const a = acts[v] as Float64Array;
          for (let i = 0; i < a.length; i++) {
            expect(a[i] as number).toBeGreaterThanOrEqual(t.lo[i] as number);
            expect(a[i] as number).toBeLessThanOrEqual(t.hi[i] as number);
          }
        });
      }
    }),
    { numRuns: 60 },
  );
  console.info(`α-CROWN tightened ${tighter} intermediate bounds over 60 random cases`);
  expect(tighter).toBeGreaterThan(10);
});
