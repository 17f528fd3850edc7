import { concatRows, type LinearProgram, minLinfProgram, rowActivities } from "@rho/constraints";
import { argmax } from "@rho/models";
import { getSolver } from "@rho/solvers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formsToRows, HiddenRegionForm, LinearRegion } from "../src/index.js";
import { nearby, netAndPixels, pixelProgram } from "./helpers.js";

/** Row activities minus lower bounds (≥ 0 where an inequality row holds) and equality residuals. */
function residuals(rows: HiddenRegionForm["regionRows"], x: Float64Array): Float64Array {
  const a = new Float64Array(rows.count);
  const m = new Float64Array(rows.count);
  rowActivities(rows, x, a, m);
  return a.map((v, r) => v - (rows.lower[r] as number));
}

describe("HiddenRegionForm: x*'s linear region over hidden variables", () => {
  it("the equalities hold at the columns' values anywhere, and the region's rows and bounds agree with LinearRegion's inequalities", () => {
    fc.assert(
      fc.property(
        netAndPixels,
        fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 9 }),
        fc.double({ min: 0, max: 40, noNaN: true }),
        ([net, px], steps, r) => {
          const region = new LinearRegion(net, px);
          const form = new HiddenRegionForm(region, 1);
          const x = nearby(px, steps, r);
          const cols = form.columnValues(x);
          // hidden columns are what the equalities force
          const eq = residuals(form.equalities, cols);
          eq.forEach((v) => {
            expect(Math.abs(v)).toBeLessThan(1e-6 * (1 + Math.max(...cols.map(Math.abs))));
          });
          // inside the region (LinearRegion's test) ⇔ the form's rows and bounds hold
          const inside = region.evaluate(x).values.every((v) => v >= -1e-9);
          const rowsHold = residuals(form.regionRows, cols).every((v) => v >= -1e-7);
          let boundsHold = true;
          cols.forEach((v, j) => {
            if (v < (form.colLower[j] as number) - 1e-7 || v > (form.colUpper[j] as number) + 1e-7)
              boundsHold = false;
          });
          if (inside) expect(rowsHold && boundsHold).toBe(true);
          // a point clearly outside violates the form too
          if (region.evaluate(x).values.some((v) => v < -1e-4)) expect(rowsHold && boundsHold).toBe(false);
          expect(form.regionRows.count + form.boundCount).toBeLessThanOrEqual(region.size);
          // the logits as forms over the columns agree with the region's forward pass
          const logits = region.forward(x).at(-1) as Float64Array;
          logits.forEach((z, j) => {
            const f = form.combination(net.layers.length, [j], [1]);
            let s = f.constant;
            f.indices.forEach((c, k) => {
              s += (f.values[k] as number) * (cols[c] as number);
            });
            expect(s).toBeCloseTo(z, 6);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("min ‖x − x*‖∞ to a target has the same optimum over hidden variables as over the pixels", async () => {
    const highs = await getSolver("highs");
    const margin = 1e-3;
    await fc.assert(
      fc.asyncProperty(netAndPixels, fc.nat(), async ([net, px], pick) => {
        const label = argmax(net.forward64(px).logits);
        const target = [0, 1, 2].filter((j) => j !== label)[pick % 2] as number;
        const region = new LinearRegion(net, px);
        const pixels = await highs.solve(pixelProgram(region, target, margin));
        const hidden = await highs.solve(hiddenProgram(new HiddenRegionForm(region, 1), target, margin));
        expect(hidden.status).toBe(pixels.status);
        if (pixels.status === "optimal")
          expect(hidden.objective as number).toBeCloseTo(pixels.objective as number, 5);
      }),
      { numRuns: 150 },
    );
  });
});

function hiddenProgram(form: HiddenRegionForm, target: number, margin: number): LinearProgram {
  const base = minLinfProgram(form.region.center, [0, 255]);
  const layer = form.region.net.layers.length;
  const out = formsToRows(
    [0, 1, 2].filter((j) => j !== target).map((j) => form.combination(layer, [target, j], [1, -1])),
    (f) => [margin - f.constant, Infinity],
  );
  const wide = form.widen(base);
  return { ...wide, rows: concatRows(concatRows(wide.rows, out), form.regionRows) };
}
