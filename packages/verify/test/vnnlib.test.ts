import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseVnnlib, VnnlibError, violates } from "../src/index.js";

const declare = (x: number, y: number) =>
  [
    ...Array.from({ length: x }, (_, i) => `(declare-const X_${i} Real)`),
    ...Array.from({ length: y }, (_, j) => `(declare-const Y_${j} Real)`),
  ].join("\n");

/** A VNN-COMP mnistfc property: an L∞ ball of radius eps around x in [0, 1], label `label` must stay. */
function mnistfcLike(x: readonly number[], eps: number, label: number, outputs = 10): string {
  const box = x.map(
    (v, i) => `(assert (<= X_${i} ${Math.min(1, v + eps)}))\n(assert (>= X_${i} ${Math.max(0, v - eps)}))\n`,
  );
  const others = Array.from({ length: outputs }, (_, j) => j).filter((j) => j !== label);
  return `; Mnist property with label: ${label}.\n\n${declare(x.length, outputs)}\n\n; Input constraints:\n${box.join("\n")}
; Output constraints:
(assert (or
${others.map((j) => `    (and (>= Y_${j} Y_${label}))`).join("\n")}
))
`;
}

describe("the VNN-LIB reader", () => {
  it("reads a mnistfc property: one box, a disjunction of 'another label at least as high'", () => {
    const x = Array.from({ length: 784 }, (_, i) => (i % 7) / 7);
    const spec = parseVnnlib(mnistfcLike(x, 0.03, 8), "prop_0_0.03.vnnlib");
    expect(spec.inputs).toBe(784);
    expect(spec.outputs).toBe(10);
    expect(spec.cases).toHaveLength(1);
    const c = spec.cases[0] as (typeof spec.cases)[number];
    expect(c.lo[1]).toBeCloseTo(1 / 7 - 0.03, 12);
    expect(c.hi[0]).toBeCloseTo(0.03, 12);
    expect(c.outputs).toHaveLength(9);
    // (>= Y_0 Y_8) is Y_8 − Y_0 ≤ 0
    const first = c.outputs[0]?.[0];
    expect(Array.from(first?.coef ?? [])).toEqual([-1, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(first?.bound).toBe(0);
    const y = new Float64Array(10);
    y[8] = 1;
    expect(violates(spec, x, y)).toBe(false); // label 8 wins
    y[3] = 1;
    expect(violates(spec, x, y)).toBe(true); // a tie is a violation (>=)
    expect(
      violates(
        spec,
        x.map((v) => v + 0.5),
        y,
      ),
    ).toBe(false); // outside the box
  });

  it("reads every construct: nested and/or, top-level boxes, constants either side, comments, negatives", () => {
    const text = `${declare(2, 3)}
      ; two input boxes, each with its own output condition (ACAS Xu's style)
      (assert (or
        (and (>= X_0 -1.5) (<= X_0 (- 0.5)) (<= X_1 2e0) (>= X_1 1) (<= Y_0 Y_1))
        (and (<= 0 X_0) (>= 1 X_0) (<= 0.25 X_1) (<= X_1 .75)
             (or (and (>= Y_2 3) (<= Y_2 Y_0)) (<= Y_1 -2)))))`;
    const spec = parseVnnlib(text);
    expect(spec.cases).toHaveLength(2);
    const [a, b] = spec.cases as [(typeof spec.cases)[number], (typeof spec.cases)[number]];
    expect([...a.lo, ...a.hi]).toEqual([-1.5, 1, -0.5, 2]);
    expect([...b.lo, ...b.hi]).toEqual([0, 0.25, 1, 0.75]);
    expect(a.outputs).toHaveLength(1);
    expect(b.outputs).toHaveLength(2);
    expect(b.outputs[0]).toHaveLength(2);
    // (>= Y_2 3): 3 − Y_2 ≤ 0, i.e. −Y_2 ≤ −3
    expect(Array.from(b.outputs[0]?.[0]?.coef ?? [])).toEqual([0, 0, -1]);
    expect(b.outputs[0]?.[0]?.bound).toBe(-3);
    expect(violates(spec, [-1, 1.5], [0, 1, 0])).toBe(true);
    expect(violates(spec, [-1, 1.5], [2, 1, 0])).toBe(false);
    expect(violates(spec, [0.5, 0.5], [0, -3, 0])).toBe(true);
    expect(violates(spec, [0.5, 0.5], [4, 0, 3.5])).toBe(true);
    expect(violates(spec, [0.5, 0.5], [0, 0, 3.5])).toBe(false);
  });

  it.each([
    ["(declare-const X_0 Real)\n(assert (<= X_0 1)", /spec:2:1: "\(" never closed/],
    ["(declare-const X_0 Real))", /spec:1:25: "\)" without a matching "\("/],
    [
      "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_1 1))",
      /spec:3:13: X_1 is not declared/,
    ],
    [
      "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= (+ X_0 Y_0) 1))",
      /spec:3:13: expected a variable or a number, not a list/,
    ],
    [
      "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (< X_0 1))",
      /spec:3:10: "<" is not supported/,
    ],
    ["(declare-const X_0 Real)\n(declare-const X_0 Real)", /spec:2:16: X_0 is declared twice/],
    ["(declare-const X_0 Int)", /only Real constants, not Int/],
    [
      "(declare-const X_1 Real)\n(declare-const Y_0 Real)",
      /X_0 … X_0 are not all declared \(X_0 is missing\)/,
    ],
    ["(declare-const Z Real)", /"Z" is not an input X_i or an output Y_j/],
    ["(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))", /X_0 has no lower bound/],
    [
      "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 Y_0))",
      /between an input and another variable/,
    ],
    [
      "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 abc))",
      /"abc" is neither a declared variable nor a number/,
    ],
    ["(declare-const X_0 Real)\n(check-sat)", /"check-sat" is not supported/],
    ["; only a comment\n", /empty specification/],
    ["(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (and))", /\(and\) with nothing in it/],
  ])("refuses %j with the line and column", (text, message) => {
    expect(() => parseVnnlib(text)).toThrow(VnnlibError);
    expect(() => parseVnnlib(text)).toThrow(message);
  });

  it("property: a point is in the parsed unsafe set iff it satisfies the text's formula", () => {
    // random formulas over 2 inputs and 2 outputs, each conjunct boxing the inputs
    const num = fc.integer({ min: -4, max: 4 });
    const yAtom = fc.tuple(
      fc.constantFrom("<=", ">="),
      fc.constantFrom("Y_0", "Y_1"),
      fc.oneof(num.map(String), fc.constantFrom("Y_0", "Y_1")),
    );
    type F = { t: "atom"; op: string; a: string; b: string } | { t: "and" | "or"; args: F[] };
    const yFormula: fc.Arbitrary<F> = fc.letrec<{ f: F }>((tie) => ({
      f: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        yAtom.map(([op, a, b]) => ({ t: "atom" as const, op, a, b })),
        fc.record({
          t: fc.constantFrom("and" as const, "or" as const),
          args: fc.array(tie("f"), { minLength: 1, maxLength: 3 }),
        }),
      ),
    })).f;
    const box = fc
      .tuple(num, num, num, num)
      .map(([a, b, c, d]) => [Math.min(a, b), Math.max(a, b), Math.min(c, d), Math.max(c, d)]);
    const show = (f: F): string =>
      f.t === "atom" ? `(${f.op} ${f.a} ${f.b})` : `(${f.t} ${f.args.map(show).join(" ")})`;
    const holds = (f: F, env: Record<string, number>): boolean => {
      if (f.t !== "atom")
        return f.t === "and" ? f.args.every((g) => holds(g, env)) : f.args.some((g) => holds(g, env));
      const v = (s: string) => (s in env ? (env[s] as number) : Number(s));
      return f.op === "<=" ? v(f.a) <= v(f.b) : v(f.a) >= v(f.b);
    };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(box, yFormula), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 4, maxLength: 4 }),
        (cases, [x0, x1, y0, y1]) => {
          const text = `${declare(2, 2)}\n(assert (or ${cases
            .map(
              ([[l0, h0, l1, h1], f]) =>
                `(and (>= X_0 ${l0}) (<= X_0 ${h0}) (>= X_1 ${l1}) (<= X_1 ${h1}) ${show(f)})`,
            )
            .join(" ")}))`;
          const env = { X_0: x0 as number, X_1: x1 as number, Y_0: y0 as number, Y_1: y1 as number };
          const truth = cases.some(
            ([[l0, h0, l1, h1], f]) =>
              (x0 as number) >= (l0 as number) &&
              (x0 as number) <= (h0 as number) &&
              (x1 as number) >= (l1 as number) &&
              (x1 as number) <= (h1 as number) &&
              holds(f, env),
          );
          expect(
            violates(parseVnnlib(text), [x0 as number, x1 as number], [y0 as number, y1 as number]),
          ).toBe(truth);
        },
      ),
      { numRuns: 400 },
    );
  });
});
