import { UnboundedDisjunctError } from "./errors.js";
import type { Formula } from "./formula.js";
import { growFloat64, growInt32 } from "./growable.js";
import { denseObjective, type LinearObjective, type LinearProgram, rowsToBatch } from "./linear-program.js";
import type { ConstraintSystem } from "./system.js";

export interface Milp {
  readonly lp: LinearProgram;
  /** Columns 0..numVars-1 are the system's variables; indicator columns follow. */
  readonly numVars: number;
  /** For each top-level disjunction, the binary column of each alternative. */
  readonly indicators: readonly (readonly number[])[];
}

/**
 * Lowers a system with disjunctions to a big-M MILP. Every alternative of a disjunction gets a
 * binary δ; at least one δ of each disjunction is 1 (at least its parent's δ for a nested one),
 * and a row of an alternative is relaxed by M·(1−δ), with M the largest violation the row can
 * have over the variable box — hence every variable under a disjunction needs finite bounds.
 */
export function toMilp(sys: ConstraintSystem, objective: LinearObjective): Milp {
  const n = sys.vars.count;
  const base = rowsToBatch(sys.rows, sys.requiredRows());
  const starts = growInt32(base.count + 16);
  const idx = growInt32(base.indices.length + 64);
  const val = growFloat64(base.values.length + 64);
  const lower = growFloat64(base.count + 16);
  const upper = growFloat64(base.count + 16);
  starts.push(0);
  for (let i = 0; i < base.count; i++) {
    for (let k = base.starts[i] as number; k < (base.starts[i + 1] as number); k++) {
      idx.push(base.indices[k] as number);
      val.push(base.values[k] as number);
    }
    endRow(base.lower[i] as number, base.upper[i] as number);
  }
  function endRow(lo: number, hi: number): void {
    starts.push(idx.length);
    lower.push(lo);
    upper.push(hi);
  }

  let numCols = n;
  const newBinary = () => numCols++;

  // Range of w·x + b over the box, for the big-M constants.
  const range = (r: number): [number, number] => {
    let lo = sys.rows.constant(r);
    let hi = lo;
    const [s, e] = sys.rows.range(r);
    const ri = sys.rows.indices();
    const rv = sys.rows.values();
    for (let k = s; k < e; k++) {
      const j = ri[k] as number;
      const w = rv[k] as number;
      const a = w * sys.vars.lower(j);
      const b = w * sys.vars.upper(j);
      if (!Number.isFinite(a) || !Number.isFinite(b)) {
        throw new UnboundedDisjunctError(
          `row ${r} under a disjunction uses ${sys.vars.name(j)}, which has no finite bounds: big-M needs them`,
        );
      }
      lo += Math.min(a, b);
      hi += Math.max(a, b);
    }
    return [lo, hi];
  };

  // Row r relaxed by δ: w·x + b ≥ −M(1−δ) and/or w·x + b ≤ M'(1−δ).
  const relaxedRow = (r: number, delta: number): void => {
    const [lo, hi] = range(r);
    const b = sys.rows.constant(r);
    const rel = sys.rows.relation(r);
    const [s, e] = sys.rows.range(r);
    const emit = (m: number, sign: 1 | -1) => {
      // sign 1: w·x − mδ ≥ −b − m ; sign −1: w·x + mδ ≤ −b + m
      const ri = sys.rows.indices();
      const rv = sys.rows.values();
      for (let k = s; k < e; k++) {
        idx.push(ri[k] as number);
        val.push(rv[k] as number);
      }
      idx.push(delta);
      val.push(-sign * m);
      if (sign === 1) endRow(-b - m, Number.POSITIVE_INFINITY);
      else endRow(Number.NEGATIVE_INFINITY, -b + m);
    };
    if (rel !== "le" && lo < 0) emit(-lo, 1);
    if (rel !== "ge" && hi > 0) emit(hi, -1);
  };

  const lowerFormula = (f: Formula, delta: number): void => {
    switch (f.kind) {
      case "row":
        relaxedRow(f.row, delta);
        return;
      case "and":
        for (const p of f.parts) lowerFormula(p, delta);
        return;
      case "or":
        lowerOr(f.parts, delta);
    }
  };

  // Σ δ_i ≥ 1 at top level, Σ δ_i − δ_parent ≥ 0 when nested.
  const lowerOr = (parts: readonly Formula[], parent: number): number[] => {
    const deltas = parts.map(() => newBinary());
    for (const d of deltas) {
      idx.push(d);
      val.push(1);
    }
    if (parent >= 0) {
      idx.push(parent);
      val.push(-1);
    }
    endRow(parent >= 0 ? 0 : 1, Number.POSITIVE_INFINITY);
    parts.forEach((p, i) => {
      lowerFormula(p, deltas[i] as number);
    });
    return deltas;
  };

  const indicators = sys.disjunctions.map((d) => lowerOr(d.parts, -1));

  const colLower = new Float64Array(numCols);
  const colUpper = new Float64Array(numCols).fill(1);
  colLower.set(sys.vars.lowerBounds());
  colUpper.set(sys.vars.upperBounds());
  const integer = new Uint8Array(numCols);
  integer.fill(1, n);
  const objectiveVec = new Float64Array(numCols);
  objectiveVec.set(denseObjective(objective, n));
  const lp: LinearProgram = {
    numCols,
    sense: objective.sense,
    objective: objectiveVec,
    objectiveOffset: objective.constant ?? 0,
    colLower,
    colUpper,
    integer,
    rows: {
      count: lower.length,
      starts: starts.view().slice(),
      indices: idx.view().slice(),
      values: val.view().slice(),
      lower: lower.view().slice(),
      upper: upper.view().slice(),
    },
  };
  return { lp, numVars: n, indicators };
}
