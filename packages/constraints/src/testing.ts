// fast-check generators shared by the constraint and solver tests.
import fc from "fast-check";
import { and, ConstraintSystem, type Formula, type LinearProgram, or } from "./index.js";

// The generic big-M lowering of a disjunctive system: an independent oracle for tests of the
// encodings (Theorem 1 as a MILP); exact ρ in rho goes through @rho/bounds' own MILP.
export { type Milp, toMilp } from "./milp.js";

const small = fc.integer({ min: -5, max: 5 });

/** A sparse random LP; `box` gives every column finite bounds so the LP is bounded. */
export function arbLinearProgram(
  opts: { maxCols?: number; maxRows?: number; box?: boolean; integer?: boolean } = {},
) {
  const maxCols = opts.maxCols ?? 6;
  const maxRows = opts.maxRows ?? 6;
  return fc
    .record({
      n: fc.integer({ min: 1, max: maxCols }),
      m: fc.integer({ min: 0, max: maxRows }),
      seed: fc.integer(),
      sense: fc.constantFrom<"min" | "max">("min", "max"),
    })
    .chain(({ n, m, sense }) =>
      fc.record({
        sense: fc.constant(sense),
        n: fc.constant(n),
        objective: fc.array(small, { minLength: n, maxLength: n }),
        offset: fc.integer({ min: -3, max: 3 }),
        bounds: fc.array(
          fc.tuple(
            fc.integer({ min: -10, max: 0 }),
            fc.integer({ min: 0, max: 10 }),
            fc.integer({ min: 0, max: 5 }),
          ),
          { minLength: n, maxLength: n },
        ),
        rows: fc.array(
          fc.record({
            coefs: fc.array(fc.oneof(fc.constant(0), small), { minLength: n, maxLength: n }),
            lo: fc.integer({ min: -20, max: 5 }),
            width: fc.integer({ min: 0, max: 30 }),
            kind: fc.constantFrom("ge", "le", "eq", "range"),
          }),
          { minLength: m, maxLength: m },
        ),
        integer: opts.integer
          ? fc.array(fc.boolean(), { minLength: n, maxLength: n })
          : fc.constant(undefined),
      }),
    )
    .map(({ sense, n, objective, offset, bounds, rows, integer }): LinearProgram => {
      const starts = [0];
      const indices: number[] = [];
      const values: number[] = [];
      const lower: number[] = [];
      const upper: number[] = [];
      for (const r of rows) {
        r.coefs.forEach((w, j) => {
          if (w !== 0) {
            indices.push(j);
            values.push(w);
          }
        });
        starts.push(indices.length);
        const inf = Number.POSITIVE_INFINITY;
        const [lo, hi] = {
          ge: [r.lo, inf],
          le: [-inf, r.lo + r.width],
          eq: [r.lo, r.lo],
          range: [r.lo, r.lo + r.width],
        }[r.kind];
        lower.push(lo as number);
        upper.push(hi as number);
      }
      // Bounds: kind 0 free (unless box), 1 lower only, 2 upper only, else two-sided.
      const colLower = bounds.map(([lo, , k]) => (opts.box || k >= 1 ? lo : Number.NEGATIVE_INFINITY));
      const colUpper = bounds.map(([, hi, k]) => (opts.box || k !== 1 ? hi : Number.POSITIVE_INFINITY));
      return {
        numCols: n,
        sense,
        objective: Float64Array.from(objective),
        objectiveOffset: offset,
        colLower: Float64Array.from(colLower),
        colUpper: Float64Array.from(colUpper),
        ...(integer ? { integer: Uint8Array.from(integer, (b) => (b ? 1 : 0)) } : {}),
        rows: {
          count: rows.length,
          starts: Int32Array.from(starts),
          indices: Int32Array.from(indices),
          values: Float64Array.from(values),
          lower: Float64Array.from(lower),
          upper: Float64Array.from(upper),
        },
      };
    });
}

/**
 * A random one-hidden-layer ReLU network encoded in the constraint language, with a point that
 * satisfies it: inputs x, pre-activations z = Wx + b, outputs y = relu(z) as the paper's
 * disjunction (z ≥ 0 ∧ y = z) ∨ (z ≤ 0 ∧ y = 0). Inputs are boxed to [-1, 1].
 */
export function arbReluSystem() {
  return fc
    .record({
      inputs: fc.integer({ min: 1, max: 4 }),
      hidden: fc.integer({ min: 1, max: 6 }),
    })
    .chain(({ inputs, hidden }) =>
      fc.record({
        inputs: fc.constant(inputs),
        hidden: fc.constant(hidden),
        w: fc.array(fc.array(small, { minLength: inputs, maxLength: inputs }), {
          minLength: hidden,
          maxLength: hidden,
        }),
        b: fc.array(small, { minLength: hidden, maxLength: hidden }),
        // Inputs on a 0.01 grid with integer weights: a pre-activation is 0 or at least 0.01 away
        // from it, so solver tolerances (~1e-6 × big-M) cannot blur which side of a ReLU it is on.
        x: fc.array(
          fc.integer({ min: -100, max: 100 }).map((v) => v / 100),
          { minLength: inputs, maxLength: inputs },
        ),
      }),
    )
    .map(({ inputs, hidden, w, b, x }) => {
      const sys = new ConstraintSystem();
      const xs = sys.vars.addMany(inputs, -1, 1, "in");
      const zs = sys.vars.addMany(hidden, -100, 100, "z");
      const ys = sys.vars.addMany(hidden, -100, 100, "y");
      const point = new Float64Array(inputs + 2 * hidden);
      x.forEach((v, i) => {
        point[xs + i] = v;
      });
      for (let h = 0; h < hidden; h++) {
        const row = w[h] as number[];
        // z_h − Σ w x − b = 0
        sys.add([zs + h, ...row.map((_, i) => xs + i)], [1, ...row.map((c) => -c)], -(b[h] as number), "eq");
        const z = row.reduce((s, c, i) => s + c * (x[i] as number), b[h] as number);
        point[zs + h] = z;
        point[ys + h] = Math.max(z, 0);
        const active: Formula = and(
          sys.row([zs + h], [1], 0, "ge"),
          sys.row([ys + h, zs + h], [1, -1], 0, "eq"),
        );
        const inactive: Formula = and(sys.row([zs + h], [1], 0, "le"), sys.row([ys + h], [1], 0, "eq"));
        sys.require(or(active, inactive));
      }
      // Print the generating data, not the typed-array internals, in counterexamples.
      const shown = JSON.stringify({ w, b, x });
      return { sys, point, inputs, hidden, [fc.toStringMethod]: () => `ReluSystem(${shown})` };
    });
}
