import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConstraintSystem,
  concatRows,
  InvalidModelError,
  RowStore,
  rowsToBatch,
  selectRows,
} from "../src/index.js";
import { arbLinearProgram } from "../src/testing.js";

describe("RowStore", () => {
  it("stores w·x + b ⋈ 0 sparsely and evaluates activity and violation", () => {
    const s = new RowStore();
    const r = s.add([0, 2], [2, -1], 3, "ge", 3);
    expect(s.activity(r, [1, 100, 4])).toBe(2 - 4 + 3);
    expect(s.violation(r, [1, 0, 4])).toBe(0);
    expect(s.violation(r, [0, 0, 5])).toBe(2);
    const e = s.add([1], [1], -2, "eq", 3);
    expect(s.violation(e, [0, 1, 0])).toBe(1);
    expect(s.violation(e, [0, 3, 0])).toBe(1);
  });

  it("drops zero coefficients and rejects bad rows without corrupting the store", () => {
    const s = new RowStore();
    s.add([0, 1], [0, 5], 0, "le", 2);
    expect(s.nonzeros).toBe(1);
    expect(() => s.add([0, 0], [1, 1], 0, "le", 2)).toThrow(InvalidModelError);
    expect(() => s.add([3], [1], 0, "le", 2)).toThrow(/not in \[0, 2\)/);
    expect(() => s.add([0], [Number.NaN], 0, "le", 2)).toThrow(/not finite/);
    expect(() => s.add([0], [1, 2], 0, "le", 2)).toThrow(/indices but/);
    expect(s.count).toBe(1);
    expect(s.nonzeros).toBe(1);
    const r = s.add([1, 0], [1, 2], 0, "le", 2);
    expect(s.activity(r, [1, 1])).toBe(3);
  });

  it("builds a LeNet-sized system (15,000 rows × 800 nonzeros) in typed arrays", () => {
    const sys = new ConstraintSystem();
    sys.vars.addMany(800, 0, 255);
    const idx = Int32Array.from({ length: 800 }, (_, j) => j);
    const val = Float64Array.from({ length: 800 }, (_, j) => ((j * 7919) % 13) - 6 || 1);
    for (let r = 0; r < 15_000; r++) sys.add(idx, val, r, r % 2 ? "ge" : "le");
    expect(sys.rows.count).toBe(15_000);
    expect(sys.rows.nonzeros).toBe(12_000_000);
    const batch = rowsToBatch(sys.rows, [0, 14_999]);
    expect(batch.starts[2]).toBe(1600);
    expect(batch.upper[0]).toBe(-0);
    expect(batch.lower[1]).toBe(-14_999);
  });
});

describe("Variables", () => {
  it("rejects empty bounds and names variables", () => {
    const sys = new ConstraintSystem();
    expect(() => sys.vars.add(2, 1)).toThrow(InvalidModelError);
    const j = sys.vars.add(0, 1, "pixel");
    expect(sys.vars.name(j)).toBe("pixel");
    expect(sys.vars.name(sys.vars.add())).toBe("x1");
    expect(sys.vars.lower(1)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe("row batches", () => {
  it("selectRows undoes concatRows and keeps names", () => {
    fc.assert(
      fc.property(arbLinearProgram({ maxRows: 6 }), arbLinearProgram({ maxRows: 6 }), (p, q) => {
        const a = p.rows;
        const b = { ...q.rows, names: Array.from({ length: q.rows.count }, (_, i) => `b${i}`) };
        const both = concatRows(a, b);
        const back = selectRows(
          both,
          Array.from({ length: b.count }, (_, i) => a.count + i),
        );
        expect(back.names).toEqual(b.names);
        expect(Array.from(back.starts)).toEqual(Array.from(b.starts));
        expect(Array.from(back.indices)).toEqual(Array.from(b.indices));
        expect(Array.from(back.values)).toEqual(Array.from(b.values));
        expect(Array.from(back.lower)).toEqual(Array.from(b.lower));
        expect(Array.from(back.upper)).toEqual(Array.from(b.upper));
      }),
    );
  });
});
