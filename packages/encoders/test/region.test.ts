import { concatRows, type LinearProgram, linfBallRows, toLinearProgram } from "@rho/constraints";
import { argmax, lenet, type Network, nin, type Shape } from "@rho/models";
import { getSolver } from "@rho/solvers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeNetwork, LinearRegion, labelConstraint, restrictAtPixels } from "../src/index.js";
import { poolCells } from "../src/layers/affine.js";
import { nearby, netAndPixels, pixelProgram } from "./helpers.js";

const dot = (idx: ArrayLike<number>, w: ArrayLike<number>, x: ArrayLike<number>) => {
  let s = 0;
  for (let k = 0; k < idx.length; k++) s += (w[k] as number) * (x[idx[k] as number] as number);
  return s;
};

describe("LinearRegion: x*'s linear region over the pixels", () => {
  it("no unit reads more inputs than its receptive field (Network.receptiveField), and costly rows are the wide ones", () => {
    fc.assert(
      fc.property(netAndPixels, ([net, px]) => {
        const region = new LinearRegion(net, px);
        region.activations.forEach((act, a) => {
          const field = net.receptiveField(a);
          expect(field).toBeGreaterThan(0);
          expect(field).toBeLessThanOrEqual(net.inputSize);
          // a value read pointwise by a layer has the same field
          for (let u = 0; u < act.length; u += Math.max(1, Math.floor(act.length / 7)))
            expect(region.supportSize(a, [u])).toBeLessThanOrEqual(field);
        });
        for (let id = 0; id < region.size; id += Math.max(1, Math.floor(region.size / 11))) {
          const l = region.layerOf(id);
          expect(id).toBeGreaterThanOrEqual(region.offsets[l] as number);
          expect(id).toBeLessThan(region.offsets[l + 1] as number);
          const field = net.receptiveField((net.inputs[l] as readonly number[])[0] as number);
          expect(region.costly(id)).toBe(8 * field > net.inputSize);
          // a pool's rows compare units of one window: within the output's field
          expect(region.inequality(id).indices.length).toBeLessThanOrEqual(net.receptiveField(l + 1));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("receptive fields grow by (size − 1) × the stride so far: NiN's blocks read 75, 147, 675, 2,187 values", () => {
    const fields = (net: Network) => net.shapes.map((_, a) => net.receptiveField(a));
    // LeNet: conv 5×5 (25), pool 2×2 (6×6, stride 2), conv 5×5 (6 + 4·2 = 14: 196), pool (16×16), dense: all
    expect(fields(lenet(1))).toEqual([1, 25, 36, 196, 256, 256, 784, 784, 784]);
    // NiN (3 channels): conv 5×5, two 1×1, pool 3×3/2 (7×7), conv 5×5 at stride 2 (15×15),
    // pool 3×3/2 (19×19), conv 3×3 at stride 4 (27×27), global pooling: all 32×32
    expect(fields(nin(1))).toEqual([
      3, 75, 75, 75, 75, 75, 75, 147, 147, 675, 675, 675, 675, 675, 675, 1083, 1083, 2187, 2187, 2187, 2187,
      2187, 3072,
    ]);
  });
  it("matches the restriction of the encoding: same inequality count and tie count", () => {
    fc.assert(
      fc.property(netAndPixels, ([net, px]) => {
        const enc = encodeNetwork(net);
        const restriction = restrictAtPixels(enc, px);
        const inequalities = Array.from(restriction.rows).filter((r) => enc.sys.rows.relation(r) !== "eq");
        const region = new LinearRegion(net, px);
        expect(region.size).toBe(inequalities.length);
        expect(region.ties).toBe(restriction.ties);
      }),
      { numRuns: 150 },
    );
  });

  it("across a neighbouring region: every tied unit takes another side than that region, and x* stays inside", () => {
    const tol = 1e-9;
    let flipped = 0;
    fc.assert(
      fc.property(
        netAndPixels,
        fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 9 }),
        ([net, px], steps) => {
          const other = new LinearRegion(net, nearby(px, steps, 3));
          const plain = new LinearRegion(net, px);
          const across = new LinearRegion(net, px, { across: other });
          expect(across.size).toBe(plain.size);
          expect(across.ties).toBe(plain.ties);
          net.layers.forEach((layer, l) => {
            const input = plain.activations[l] as Float64Array;
            const mine = across.pieces[l]?.choices;
            const theirs = other.pieces[l]?.choices as Int32Array;
            const tieRule = plain.pieces[l]?.choices as Int32Array;
            if (!mine) return;
            if (layer.kind === "relu")
              input.forEach((v, i) => {
                const tied = Math.abs(v) <= tol;
                expect(mine[i]).toBe(tied ? 1 - (theirs[i] as number) : tieRule[i]);
                if (mine[i] !== tieRule[i]) flipped++;
              });
            if (layer.kind === "maxpool")
              mine.forEach((c, o) => {
                const cells = poolCells(layer, net.shapes[l] as Shape, net.shapes[l + 1] as Shape, o);
                const m = Math.max(...cells.map((i) => input[i] as number));
                const winners = cells.filter((i) => (input[i] as number) >= m - tol);
                expect(winners).toContain(c); // a maximum at x*, as the tie rule's choice
                if (winners.length > 1 && winners.includes(theirs[o] as number))
                  expect(c).not.toBe(theirs[o]);
                if (winners.length === 1) expect(c).toBe(tieRule[o]);
              });
          });
          // x* is on the boundary of both: the region's map is the network there, its rows hold
          const ref = net.forward64(px).logits;
          (across.forward(px).at(-1) as Float64Array).forEach((v, i) => {
            expect(v).toBeCloseTo(ref[i] as number, 9);
          });
          const { values, scales } = across.evaluate(px);
          values.forEach((v, k) => {
            expect(v).toBeGreaterThanOrEqual(-1e-9 * Math.max(1, scales[k] as number));
          });
        },
      ),
      { numRuns: 150 },
    );
    // ties are common with these pixels: the rule was exercised, not only the untied default
    expect(flipped).toBeGreaterThan(10);
  });

  it("its forward pass is the network at x*, and its inequalities hold there", () => {
    fc.assert(
      fc.property(netAndPixels, ([net, px]) => {
        const region = new LinearRegion(net, px);
        const ref = net.forward64(px).activations;
        region.forward(px).forEach((a, l) => {
          a.forEach((v, i) => {
            expect(v).toBeCloseTo(ref[l]?.[i] as number, 9);
          });
        });
        const atCenter = region.evaluate(px);
        for (const v of atCenter.values) expect(v).toBeGreaterThanOrEqual(-1e-9);
        // the shortcut from the constructor's activations gives the same values and scales
        expect(region.evaluateCenter()).toEqual(atCenter);
      }),
      { numRuns: 150 },
    );
  });

  it("each lazily built row is the affine function evaluate() computes, at any point", () => {
    fc.assert(
      fc.property(
        netAndPixels,
        fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 9 }),
        ([net, px], steps) => {
          const region = new LinearRegion(net, px);
          const x = nearby(px, steps, 300); // far outside the region too: the forms are affine maps
          const { values } = region.evaluate(x);
          for (let k = 0; k < region.size; k++) {
            const f = region.inequality(k);
            expect(dot(f.indices, f.values, x) + f.constant).toBeCloseTo(values[k] as number, 6);
          }
          // the logits as forms agree with the region's forward pass
          const logits = region.forward(x).at(-1) as Float64Array;
          logits.forEach((z, j) => {
            const f = region.combination(net.layers.length, [j], [1]);
            expect(dot(f.indices, f.values, x) + f.constant).toBeCloseTo(z, 6);
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("builds the same rows whether gradients are memoised (at any depth) or walked back per row", () => {
    fc.assert(
      fc.property(netAndPixels, fc.nat(), ([net, px], pick) => {
        const depth = pick % (net.layers.length + 1);
        const memo = new LinearRegion(net, px, { memoDepth: depth });
        const walk = new LinearRegion(net, px, { memoBudget: 0 });
        expect(memo.memoDepth).toBe(depth);
        expect(walk.memoDepth).toBe(0);
        const ids = Array.from({ length: memo.size }, (_, k) => k);
        const a = memo.rows(ids);
        const b = walk.rows(ids);
        expect(Array.from(b.starts)).toEqual(Array.from(a.starts));
        expect(Array.from(b.indices)).toEqual(Array.from(a.indices));
        b.values.forEach((v, k) => {
          expect(v).toBeCloseTo(a.values[k] as number, 9);
        });
        b.lower.forEach((v, k) => {
          expect(v).toBeCloseTo(a.lower[k] as number, 7);
        });
        // the logits too (rows past the memoised layers are reverse passes)
        const layer = net.layers.length;
        const f = memo.combination(layer, [0], [1]);
        const g = walk.combination(layer, [0], [1]);
        expect(Array.from(f.indices)).toEqual(Array.from(g.indices));
        expect(f.constant).toBeCloseTo(g.constant, 7);
      }),
      { numRuns: 100 },
    );
  });

  it("builds several functionals in one reverse pass as it builds each alone (any layer, any memo depth)", () => {
    fc.assert(
      fc.property(netAndPixels, fc.nat(), fc.nat(), ([net, px], pick, t) => {
        const region = new LinearRegion(net, px, { memoDepth: pick % (net.layers.length + 1) });
        const layer = 1 + (t % net.layers.length);
        const size = (region.activations[layer] as Float64Array).length;
        const target = t % size;
        // the target rows' shape (target − j), and one functional over three units with repeats
        const forms = Array.from({ length: size }, (_, j) => ({ idx: [target, j], w: [1, -1] })).filter(
          (f) => f.idx[1] !== target,
        );
        forms.push({ idx: [0, size - 1, 0], w: [0.5, -2, 1.5] });
        const together = region.combinations(layer, forms);
        forms.forEach((f, r) => {
          const alone = region.combination(layer, f.idx, f.w);
          const both = together[r] as typeof alone;
          expect(Array.from(both.indices)).toEqual(Array.from(alone.indices));
          both.values.forEach((v, q) => {
            const want = alone.values[q] as number;
            expect(Math.abs(v - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
          });
          expect(both.constant).toBeCloseTo(alone.constant, 6);
        });
      }),
      { numRuns: 100 },
    );
  });

  it("memoises the layers whose units see a small part of the input (a depth chosen once per network and budget)", () => {
    // LeNet: conv1 → pool → conv2 → pool → flatten (units see ≤ 14×14 of 28×28 pixels) | dense 500
    // (every pixel) → relu → dense 10
    const net = lenet(3);
    const zeros = new LinearRegion(net, new Array(net.inputSize).fill(0));
    const rnd = new LinearRegion(
      net,
      Array.from({ length: net.inputSize }, (_, i) => (i * 37) % 256),
    );
    const flatten = net.layers.findIndex((l) => l.kind === "flatten") + 1;
    expect(zeros.memoDepth).toBe(flatten);
    expect(rnd.memoDepth).toBe(flatten);
    expect(new LinearRegion(net, zeros.center, { memoBudget: 1e4 }).memoDepth).toBeLessThan(flatten);
  });

  it("inside the region the network is the region's affine map", () => {
    fc.assert(
      fc.property(
        netAndPixels,
        fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 9 }),
        ([net, px], steps) => {
          const region = new LinearRegion(net, px);
          // shrink the move until the point is inside the region (x* itself is)
          let x = px;
          for (let r = 8; r > 1e-6; r /= 4) {
            const y = nearby(px, steps, r);
            if (region.evaluate(y).values.every((v) => v >= 1e-9)) {
              x = y;
              break;
            }
          }
          const a = region.forward(x).at(-1) as Float64Array;
          const b = net.forward64(x).logits;
          a.forEach((v, j) => {
            expect(v).toBeCloseTo(b[j] as number, 7);
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("min ‖x − x*‖∞ to a target: the LP over the pixels equals the LP over every hidden variable", async () => {
    const highs = await getSolver("highs");
    const margin = 1e-3;
    await fc.assert(
      fc.asyncProperty(netAndPixels, fc.nat(), async ([net, px], pick) => {
        const logits = net.forward64(px).logits;
        const label = argmax(logits);
        const target = [0, 1, 2].filter((j) => j !== label)[pick % 2] as number;
        const lifted = await highs.solve(liftedProgram(net, px, target, margin));
        const direct = await highs.solve(pixelProgram(new LinearRegion(net, px), target, margin));
        expect(direct.status).toBe(lifted.status);
        if (lifted.status === "optimal") {
          expect(direct.objective as number).toBeCloseTo(lifted.objective as number, 5);
          // the pixels of the optimum lie in x*'s region and make the target win by the margin
          const x = Array.from({ length: net.inputSize }, (_, i) => direct.primal?.[i] as number);
          const region = new LinearRegion(net, px);
          for (const v of region.evaluate(x).values) expect(v).toBeGreaterThanOrEqual(-1e-6);
          const z = net.forward64(x).logits;
          z.forEach((v, j) => {
            if (j !== target) expect((z[target] as number) - v).toBeGreaterThanOrEqual(margin - 1e-6);
          });
        }
      }),
      { numRuns: 150 },
    );
  });
});

function liftedProgram(net: Network, px: number[], target: number, margin: number): LinearProgram {
  const enc = encodeNetwork(net);
  const t = enc.sys.vars.add(0, Infinity, "t");
  const rows: number[] = Array.from(restrictAtPixels(enc, px).rows);
  const out = labelConstraint(enc, target, margin);
  if (out.kind === "row") rows.push(out.row);
  else for (const p of out.parts) if (p.kind === "row") rows.push(p.row);
  const lp = toLinearProgram(enc.sys, {
    rows,
    objective: { sense: "min", coefficients: { indices: [t], values: [1] } },
  });
  return {
    ...lp,
    rows: concatRows(
      lp.rows,
      linfBallRows(px, (i) => enc.pixels[i] as number, t),
    ),
  };
}
