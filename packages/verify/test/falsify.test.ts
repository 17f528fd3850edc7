// The falsifier on affine networks, where each row's least value over the box is known exactly (at
// the box's corner against the row's gradient): APGD's first step from the centre reaches that
// corner, so it must find a counterexample whenever one row can be met with room to spare, and
// can never claim one where none can.
import { Network, prng, rawPixels, useBackend } from "@rho/models";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { falsify } from "../src/falsify.js";
import { inBox, satisfies } from "../src/semantics.js";
import type { OutputRow, SpecCase } from "../src/vnnlib.js";

beforeAll(async () => {
  await useBackend("cpu");
});

const N = 3;
const K = 3;
const tenths = (n: number) => fc.array(fc.integer({ min: -20, max: 20 }), { minLength: n, maxLength: n });

const arbCase = fc.record({
  w: tenths(N * K),
  b: tenths(K),
  lo: tenths(N),
  width: fc.array(fc.integer({ min: 1, max: 20 }), { minLength: N, maxLength: N }),
  // single-row conjunctions coef·y ≤ bound
  rows: fc.array(fc.record({ coef: tenths(K), bound: fc.integer({ min: -40, max: 40 }) }), {
    minLength: 1,
    maxLength: 4,
  }),
});

describe("falsify", () => {
  it("finds a counterexample exactly where an affine network's row can be met (with room), and each replays", async () => {
    let found = 0;
    let none = 0;
    await fc.assert(
      fc.asyncProperty(arbCase, async ({ w, b, lo, width, rows }) => {
        const W = Float32Array.from(w, (v) => v / 10);
        const net = new Network({
          inputShape: [N],
          preprocess: rawPixels(1),
          layers: [{ kind: "dense", units: K, weights: W, bias: Float32Array.from(b, (v) => v / 10) }],
        });
        const c: SpecCase = {
          lo: Float64Array.from(lo, (v) => v / 10),
          hi: Float64Array.from(lo, (v, i) => (v + (width[i] as number)) / 10),
          outputs: [],
        };
        const conjunctions: OutputRow[][] = rows.map((r) => [
          { coef: Float64Array.from(r.coef, (v) => v / 10), bound: r.bound / 10 },
        ]);
        // each row's least value: Σ_i min over [lo_i, hi_i] of g_i·x_i + coef·b, g = coef·W
        const least = conjunctions.map(([r]) => {
          const row = r as OutputRow;
          let v = -row.bound;
          for (let k = 0; k < K; k++) v += (row.coef[k] as number) * ((b[k] as number) / 10);
          for (let i = 0; i < N; i++) {
            let g = 0;
            for (let k = 0; k < K; k++) g += (row.coef[k] as number) * (W[i * K + k] as number);
            v += Math.min(g * (c.lo[i] as number), g * (c.hi[i] as number));
          }
          return v;
        });
        const reachable = least.some((v) => v < -1e-3);
        fc.pre(reachable || least.every((v) => v > 1e-3));
        const ctx = { net };
        const r = await falsify(net, ctx, c, conjunctions, {
          restarts: 0,
          steps: 10,
          deadline: Number.POSITIVE_INFINITY,
          rand: prng(1),
        });
        expect(r.status).toBe(reachable ? "sat" : "none");
        if (r.status === "sat") {
          found++;
          expect(inBox(c, r.x)).toBe(true);
          expect(conjunctions.some((rows) => satisfies(rows, net.forward64(r.x).logits))).toBe(true);
        } else none++;
      }),
      { numRuns: 60 },
    );
    // both answers were exercised
    expect(found).toBeGreaterThan(5);
    expect(none).toBeGreaterThan(5);
  });
});
