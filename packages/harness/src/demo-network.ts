import {
  and,
  ConstraintSystem,
  type LinearProgram,
  or,
  restrictAt,
  rowsToBatch,
  toLinearProgram,
} from "@rho/constraints";
import { prng } from "@rho/models";

/**
 * The paper's Figure 1 setting: a network with one hidden ReLU layer on 2-D inputs, encoded as
 * C_f(x, ℓ), restricted to the linear region around x*, and turned into the LP
 *   min t  s.t.  D(x*), z_target ≥ z_j + α (j ≠ target), |x − x*| ≤ t, 0 ≤ x ≤ 1.
 * A stand-in until the encoders package exists; it exercises the constraint IR and solvers.
 */
export interface TinyNet {
  w1: number[][];
  b1: number[];
  w2: number[][];
  b2: number[];
}

export function randomNet(seed: number, inputs = 2, hidden = 8, outputs = 2): TinyNet {
  const rand = prng(seed);
  const mat = (r: number, c: number) =>
    Array.from({ length: r }, () => Array.from({ length: c }, () => rand() * 4 - 2));
  return {
    w1: mat(hidden, inputs),
    b1: mat(1, hidden)[0] as number[],
    w2: mat(outputs, hidden),
    b2: mat(1, outputs)[0] as number[],
  };
}

export function forward(net: TinyNet, x: ArrayLike<number>): { pre: number[]; logits: number[] } {
  const pre = net.w1.map((row, h) => row.reduce((s, w, i) => s + w * (x[i] as number), net.b1[h] as number));
  const hidden = pre.map((z) => Math.max(z, 0));
  const logits = net.w2.map((row, o) =>
    row.reduce((s, w, h) => s + w * (hidden[h] as number), net.b2[o] as number),
  );
  return { pre, logits };
}

export const argmax = (v: number[]) => v.reduce((best, x, i) => (x > (v[best] as number) ? i : best), 0);

export interface RobustnessLp {
  /** Equalities, output constraints and the norm rows: the paper's starting set. */
  base: LinearProgram;
  /** The restriction's inequalities (ReLU signs), added lazily by iterative solving. */
  lazy: ReturnType<typeof rowsToBatch>;
  /** Column of each input, and of t. */
  inputCols: number[];
  tCol: number;
  /** Disjunctions tied at x*. */
  ties: number;
}

export function robustnessLp(net: TinyNet, xStar: number[], target: number, margin: number): RobustnessLp {
  const sys = new ConstraintSystem();
  const nIn = xStar.length;
  const nHid = net.b1.length;
  const x = sys.vars.addMany(nIn, 0, 1, "x");
  const z = sys.vars.addMany(nHid, -1e3, 1e3, "z");
  const h = sys.vars.addMany(nHid, -1e3, 1e3, "h");
  const o = sys.vars.addMany(net.b2.length, -1e4, 1e4, "o");
  const t = sys.vars.add(0, Number.POSITIVE_INFINITY, "t");
  const range = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + i);
  net.w1.forEach((row, k) => {
    sys.add([z + k, ...range(nIn, x)], [1, ...row.map((w) => -w)], -(net.b1[k] as number), "eq");
    sys.require(
      or(
        and(sys.row([z + k], [1], 0, "ge"), sys.row([h + k, z + k], [1, -1], 0, "eq")),
        and(sys.row([z + k], [1], 0, "le"), sys.row([h + k], [1], 0, "eq")),
      ),
    );
  });
  net.w2.forEach((row, k) => {
    sys.add([o + k, ...range(nHid, h)], [1, ...row.map((w) => -w)], -(net.b2[k] as number), "eq");
  });
  net.b2.forEach((_, j) => {
    if (j !== target) sys.add([o + target, o + j], [1, -1], -margin, "ge");
  });
  xStar.forEach((v, i) => {
    sys.add([x + i, t], [1, -1], -v, "le"); // x − t ≤ x*
    sys.add([x + i, t], [1, 1], -v, "ge"); // x + t ≥ x*
  });

  // The point (x*, its activations, its logits, t = 0) satisfies C except the output rows, so
  // restrict on the disjunctions only.
  const { pre, logits } = forward(net, xStar);
  const point = new Float64Array(sys.vars.count);
  xStar.forEach((v, i) => {
    point[x + i] = v;
  });
  pre.forEach((v, k) => {
    point[z + k] = v;
    point[h + k] = Math.max(v, 0);
  });
  logits.forEach((v, k) => {
    point[o + k] = v;
  });
  const restriction = restrictAt(sys, point);
  const required = new Set(sys.requiredRows());
  const eager: number[] = [];
  const lazy: number[] = [];
  for (const r of restriction.rows) {
    if (required.has(r) || sys.rows.relation(r) === "eq") eager.push(r);
    else lazy.push(r);
  }
  const objective = { sense: "min" as const, coefficients: { indices: [t], values: [1] } };
  return {
    base: toLinearProgram(sys, { rows: eager, objective }),
    lazy: rowsToBatch(sys.rows, lazy),
    inputCols: range(nIn, x),
    tCol: t,
    ties: restriction.ties,
  };
}
