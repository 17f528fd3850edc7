// Independent reference optima for tiny programs, by exhaustive enumeration.
import type { LinearProgram } from "@rho/constraints";

export type Reference = { status: "optimal"; objective: number } | { status: "infeasible" };

function solveSquare(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (Math.abs(m[p]![c]!) < 1e-9) return undefined;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

function feasible(lp: LinearProgram, x: number[], tol = 1e-7): boolean {
  for (let j = 0; j < lp.numCols; j++) {
    if (x[j]! < lp.colLower[j]! - tol || x[j]! > lp.colUpper[j]! + tol) return false;
  }
  const r = lp.rows;
  for (let i = 0; i < r.count; i++) {
    let a = 0;
    for (let k = r.starts[i]!; k < r.starts[i + 1]!; k++) a += r.values[k]! * x[r.indices[k]!]!;
    if (a < r.lower[i]! - tol || a > r.upper[i]! + tol) return false;
  }
  return true;
}

const value = (lp: LinearProgram, x: number[]) =>
  x.reduce((s, v, j) => s + lp.objective[j]! * v, lp.objectiveOffset);
const better = (lp: LinearProgram, a: number, b: number) => (lp.sense === "min" ? a < b : a > b);

/**
 * Optimum of an LP with finite column bounds by enumerating vertices: every choice of n tight
 * hyperplanes among the rows' and columns' finite bounds. A non-empty polytope has a vertex,
 * and a bounded LP attains its optimum at one.
 */
export function vertexEnumeration(lp: LinearProgram): Reference {
  const n = lp.numCols;
  const planes: { a: number[]; b: number }[] = [];
  for (let j = 0; j < n; j++) {
    const e = Array.from({ length: n }, (_, k) => (k === j ? 1 : 0));
    planes.push({ a: e, b: lp.colLower[j]! }, { a: e, b: lp.colUpper[j]! });
  }
  const r = lp.rows;
  for (let i = 0; i < r.count; i++) {
    const a = new Array<number>(n).fill(0);
    for (let k = r.starts[i]!; k < r.starts[i + 1]!; k++) a[r.indices[k]!] = r.values[k]!;
    for (const b of new Set([r.lower[i]!, r.upper[i]!])) if (Number.isFinite(b)) planes.push({ a, b });
  }
  let best: number | undefined;
  const pick: number[] = [];
  const rec = (start: number) => {
    if (pick.length === n) {
      const x = solveSquare(
        pick.map((p) => planes[p]!.a),
        pick.map((p) => planes[p]!.b),
      );
      if (x && feasible(lp, x)) {
        const v = value(lp, x);
        if (best === undefined || better(lp, v, best)) best = v;
      }
      return;
    }
    for (let p = start; p < planes.length; p++) {
      pick.push(p);
      rec(p + 1);
      pick.pop();
    }
  };
  rec(0);
  return best === undefined ? { status: "infeasible" } : { status: "optimal", objective: best };
}

/** Optimum of a pure integer program with small finite bounds, by trying every integer point. */
export function integerEnumeration(lp: LinearProgram): Reference {
  const n = lp.numCols;
  const x = new Array<number>(n).fill(0);
  let best: number | undefined;
  const rec = (j: number) => {
    if (j === n) {
      if (feasible(lp, x)) {
        const v = value(lp, x);
        if (best === undefined || better(lp, v, best)) best = v;
      }
      return;
    }
    for (let v = Math.ceil(lp.colLower[j]!); v <= Math.floor(lp.colUpper[j]!); v++) {
      x[j] = v;
      rec(j + 1);
    }
  };
  rec(0);
  return best === undefined ? { status: "infeasible" } : { status: "optimal", objective: best };
}
