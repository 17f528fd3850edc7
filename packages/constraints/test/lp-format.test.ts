import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type LinearProgram, LpParseError, parseLpFormat, writeLpFormat } from "../src/index.js";
import { arbLinearProgram } from "../src/testing.js";

/** The program with default names filled in, as plain arrays, for deep comparison. */
function canonical(lp: LinearProgram) {
  const nnz = lp.rows.starts[lp.rows.count] as number;
  return {
    numCols: lp.numCols,
    sense: lp.sense,
    objective: Array.from(lp.objective),
    offset: lp.objectiveOffset,
    colLower: Array.from(lp.colLower),
    colUpper: Array.from(lp.colUpper),
    integer: Array.from(lp.integer ?? new Uint8Array(lp.numCols)),
    colNames: Array.from({ length: lp.numCols }, (_, j) => lp.colNames?.[j] ?? `x${j}`),
    rowNames: Array.from({ length: lp.rows.count }, (_, i) => lp.rows.names?.[i] ?? `r${i}`),
    starts: Array.from(lp.rows.starts),
    indices: Array.from(lp.rows.indices.subarray(0, nnz)),
    values: Array.from(lp.rows.values.subarray(0, nnz)),
    lower: Array.from(lp.rows.lower),
    upper: Array.from(lp.rows.upper),
  };
}

describe("CPLEX LP format", () => {
  it("round-trips random (MI)LPs exactly", () => {
    fc.assert(
      fc.property(arbLinearProgram({ maxCols: 12, maxRows: 12, integer: true }), (lp) => {
        const back = parseLpFormat(writeLpFormat(lp));
        expect(canonical(back)).toEqual(canonical(lp));
      }),
    );
  });

  it("round-trips awkward numbers", () => {
    const lp: LinearProgram = {
      numCols: 2,
      sense: "max",
      objective: Float64Array.from([0.1 + 0.2, -1e-12]),
      objectiveOffset: -2.5e21,
      colLower: Float64Array.from([-1e300, Number.NEGATIVE_INFINITY]),
      colUpper: Float64Array.from([Math.PI, -1 / 3]),
      rows: {
        count: 1,
        starts: Int32Array.from([0, 2]),
        indices: Int32Array.from([1, 0]),
        values: Float64Array.from([1e-300, 123456789.12345679]),
        lower: Float64Array.from([Number.NEGATIVE_INFINITY]),
        upper: Float64Array.from([Number.POSITIVE_INFINITY]),
      },
    };
    expect(canonical(parseLpFormat(writeLpFormat(lp)))).toEqual(canonical(lp));
  });

  it("reads the common syntax variants", () => {
    const lp = parseLpFormat(`\\ a comment
MAXIMIZE
 profit: 30 chairs + 50tables - 2   \\ trailing comment
subject to
 carpentry: chairs + 2 tables <= 40
 2 chairs + tables =< 50
 c3: -3 <= chairs - tables <= 3
 c4: 10 >= chairs
 c5: chairs + chairs >= 1
bounds
 chairs >= -inf
 -5 <= tables
 tables <= +Infinity
 legs free
 6 >= seats
generals
 chairs
binary
 flag
end
this is ignored`);
    expect(lp.sense).toBe("max");
    expect(lp.colNames).toEqual(["chairs", "tables", "legs", "seats", "flag"]);
    expect(Array.from(lp.objective)).toEqual([30, 50, 0, 0, 0]);
    expect(lp.objectiveOffset).toBe(-2);
    expect(lp.rows.names).toEqual(["carpentry", "r1", "c3", "c4", "c5"]);
    expect(Array.from(lp.rows.lower)).toEqual([-Infinity, -Infinity, -3, -Infinity, 1]);
    expect(Array.from(lp.rows.upper)).toEqual([40, 50, 3, 10, Infinity]);
    // chairs + chairs is merged into one coefficient
    expect(Array.from(lp.rows.values.subarray(lp.rows.starts[4], lp.rows.starts[5]))).toEqual([2]);
    expect(Array.from(lp.colLower)).toEqual([-Infinity, -5, -Infinity, 0, 0]);
    expect(Array.from(lp.colUpper)).toEqual([Infinity, Infinity, Infinity, 6, 1]);
    expect(Array.from(lp.integer ?? [])).toEqual([1, 0, 0, 0, 1]);
  });

  it("reports malformed text with its line number", () => {
    const cases: [string, RegExp][] = [
      ["Subject To\n x >= 1\nEnd", /line 1: expected Minimize or Maximize first/],
      ["Minimize\n obj: x\nSubject To\n c1: x + >= 1\nEnd", /line 4: a sign without a term/],
      ["Minimize\n obj: x\nSubject To\n c1: x + y 3\nEnd", /line 4: expected <=, >= or =/],
      ["Minimize\n obj: x\nSubject To\n c1: x + y >= z\nEnd", /line 4: expected a number/],
      ["Minimize\n obj: 2 * y\nEnd", /line 2: unexpected character/],
      ["Minimize\n obj: x\nSOS\n s1: x:1\nEnd", /line 3: section "SOS" is not supported/],
      ["just words", /expected Minimize or Maximize first/],
      ["", /no Minimize or Maximize section/],
    ];
    for (const [text, re] of cases) {
      expect(() => parseLpFormat(text), text).toThrow(LpParseError);
      expect(() => parseLpFormat(text), text).toThrow(re);
    }
  });
});
