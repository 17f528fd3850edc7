import {
  concatRows,
  type Formula,
  forEachRow,
  type LinearProgram,
  rowsToBatch,
  satisfies,
  satisfiesFormula,
  toLinearProgram,
} from "@rho/constraints";
import { toMilp } from "@rho/constraints/testing";
import { argmax, Network } from "@rho/models";
import { arbNetwork, arbPixels } from "@rho/models/testing";
import { getSolver } from "@rho/solvers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignment, type Encoding, encodeNetwork, labelConstraint, restrictAtPixels } from "../src/index.js";

const netAndPixels = arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net)));

/** Labels whose logit is within `tol` of the maximum: a tie there is not a counterexample. */
const maxLabels = (logits: Float64Array, tol: number) => {
  const m = Math.max(...logits);
  return new Set(Array.from(logits.keys()).filter((j) => (logits[j] as number) >= m - tol));
};

function rowIds(f: Formula): number[] {
  const ids: number[] = [];
  forEachRow(f, (r) => ids.push(r));
  return ids;
}

/** Appends a formula's rows (a conjunction of rows) to a program. */
function withRows(enc: Encoding, lp: LinearProgram, f: Formula): LinearProgram {
  return { ...lp, rows: concatRows(lp.rows, rowsToBatch(enc.sys.rows, rowIds(f))) };
}

describe("Theorem 1: f(x) = ℓ iff C_f(x, ℓ) is satisfiable", () => {
  it("with the constraint evaluator: the forward pass satisfies C_f, and C_out(ℓ) holds exactly for the winning labels", () => {
    fc.assert(
      fc.property(netAndPixels, ([net, px]) => {
        const enc = encodeNetwork(net);
        const x = assignment(enc, px);
        expect(satisfies(enc.sys, x, { tol: 1e-7 })).toBe(true);
        const logits = net.forward64(px).logits;
        const winners = maxLabels(logits, 0);
        for (let l = 0; l < logits.length; l++) {
          expect(satisfiesFormula(enc.sys.rows, labelConstraint(enc, l), x, 0)).toBe(winners.has(l));
        }
        expect(winners.has(argmax(logits))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("the constraints determine every hidden value: disturbing one breaks C_f", () => {
    fc.assert(
      fc.property(netAndPixels, fc.nat(), ([net, px], pick) => {
        const enc = encodeNetwork(net);
        const x = assignment(enc, px);
        const hidden = enc.layers.slice(1).flatMap((vars) => Array.from(vars));
        const v = hidden[pick % hidden.length] as number;
        x[v] = (x[v] as number) + 0.5;
        expect(satisfies(enc.sys, x, { tol: 1e-7, bounds: false })).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("with a MILP solver: pixels fixed, the big-M MILP of C_f ∧ C_out(ℓ) is feasible iff ℓ wins", async () => {
    const highs = await getSolver("highs");
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const enc = encodeNetwork(net);
        const logits = net.forward64(px).logits;
        const { lp } = toMilp(enc.sys, { sense: "min", coefficients: [] });
        const lo = Float64Array.from(lp.colLower);
        const hi = Float64Array.from(lp.colUpper);
        enc.pixels.forEach((v, i) => {
          lo[v] = px[i] as number;
          hi[v] = px[i] as number;
        });
        const fixed = { ...lp, colLower: lo, colUpper: hi };
        const winners = maxLabels(logits, 0);
        const near = maxLabels(logits, 1e-4);
        for (let l = 0; l < logits.length; l++) {
          if (near.has(l) && !winners.has(l)) continue; // within solver tolerance of a tie
          const r = await highs.solve(withRows(enc, fixed, labelConstraint(enc, l)));
          expect(r.status, `label ${l} of ${Array.from(logits)}`).toBe(
            winners.has(l) ? "optimal" : "infeasible",
          );
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("the convex restriction D(x*)", () => {
  it("every LP solution over D(x*) ∧ C_out(ℓ*) lies in x*'s linear region and is labelled ℓ* by the network", async () => {
    const highs = await getSolver("highs");
    const margin = 1e-3;
    await fc.assert(
      fc.asyncProperty(
        netAndPixels,
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 8 }),
        async ([net, px], c) => {
          const enc = encodeNetwork(net);
          const logits = net.forward64(px).logits;
          const label = argmax(logits);
          const runnerUp = Math.max(...Array.from(logits).filter((_, j) => j !== label));
          fc.pre(logits[label]! - runnerUp >= margin);
          const restriction = restrictAtPixels(enc, px);
          const target = labelConstraint(enc, label, margin);
          const objective = {
            sense: "min" as const,
            coefficients: {
              indices: Array.from(enc.pixels),
              values: Array.from(enc.pixels, (_, i) => c[i % c.length]!),
            },
          };
          const lp = withRows(enc, toLinearProgram(enc.sys, { rows: restriction.rows, objective }), target);
          const r = await highs.solve(lp);
          expect(r.status).toBe("optimal"); // x* itself is feasible
          const p = Array.from(enc.pixels, (v) => r.primal![v]!);
          // the network on the solution's pixels: same label, same linear region
          expect(net.predict64(p)).toBe(label);
          const y = assignment(enc, p);
          for (const row of restriction.rows)
            expect(enc.sys.rows.violation(row, y)).toBeLessThanOrEqual(1e-6);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("counts ties: on an all-zero image every max-pool window ties", () => {
    const net = new Network({
      inputShape: [4, 4, 1],
      layers: [
        { kind: "maxpool", size: [2, 2], strides: [2, 2], padding: "valid" },
        { kind: "flatten" },
        {
          kind: "dense",
          units: 2,
          weights: Float32Array.from([1, -1, 2, 0, 0, 1, -1, 1]),
          bias: Float32Array.from([0, 0.5]),
        },
      ],
    });
    const enc = encodeNetwork(net);
    expect(restrictAtPixels(enc, new Array(16).fill(0)).ties).toBe(4);
    const distinct = Array.from({ length: 16 }, (_, i) => i);
    expect(restrictAtPixels(enc, distinct).ties).toBe(0);
  });
});
