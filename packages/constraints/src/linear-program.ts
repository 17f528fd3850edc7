import { DisjunctionError, InvalidModelError } from "./errors.js";
import type { RowStore } from "./rows.js";
import type { ConstraintSystem } from "./system.js";

/** Rows lower ≤ A x ≤ upper in compressed sparse row form (±Infinity for a missing side). */
export interface RowBatch {
  readonly count: number;
  readonly starts: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly names?: readonly string[];
}

/**
 * Rows given as (indices, values) pairs packed into compressed sparse row arrays, in order: the
 * one place rows built elsewhere (a region's affine forms, a layer's constraints) become CSR.
 */
export function packRows(
  rows: readonly { readonly indices: ArrayLike<number>; readonly values: ArrayLike<number> }[],
): { count: number; starts: Int32Array; indices: Int32Array; values: Float64Array } {
  const starts = new Int32Array(rows.length + 1);
  rows.forEach((r, k) => {
    starts[k + 1] = (starts[k] as number) + r.indices.length;
  });
  const indices = new Int32Array(starts[rows.length] as number);
  const values = new Float64Array(indices.length);
  rows.forEach((r, k) => {
    indices.set(r.indices, starts[k] as number);
    values.set(r.values, starts[k] as number);
  });
  return { count: rows.length, starts, indices, values };
}

export type Sense = "min" | "max";

/** A solver-neutral (MI)LP: optimise c·x + offset s.t. rows, colLower ≤ x ≤ colUpper. */
export interface LinearProgram {
  readonly numCols: number;
  readonly sense: Sense;
  readonly objective: Float64Array;
  readonly objectiveOffset: number;
  readonly colLower: Float64Array;
  readonly colUpper: Float64Array;
  /** 1 marks an integer column; absent means all continuous. */
  readonly integer?: Uint8Array;
  readonly colNames?: readonly string[];
  readonly rows: RowBatch;
}

/** A linear objective over the system's variables. */
export interface LinearObjective {
  readonly sense: Sense;
  /** Dense coefficients (shorter than the variable count means zeros), or sparse pairs. */
  readonly coefficients:
    | ArrayLike<number>
    | { readonly indices: ArrayLike<number>; readonly values: ArrayLike<number> };
  readonly constant?: number;
}

export function emptyRows(): RowBatch {
  return {
    count: 0,
    starts: new Int32Array(1),
    indices: new Int32Array(0),
    values: new Float64Array(0),
    lower: new Float64Array(0),
    upper: new Float64Array(0),
  };
}

/** Converts w·x + b ⋈ 0 to row bounds on w·x. */
function rowBounds(store: RowStore, r: number): [number, number] {
  const b = -store.constant(r);
  switch (store.relation(r)) {
    case "ge":
      return [b, Number.POSITIVE_INFINITY];
    case "le":
      return [Number.NEGATIVE_INFINITY, b];
    default:
      return [b, b];
  }
}

/** Gathers the given rows of a store into a batch (names `r<row>` so they stay traceable). */
export function rowsToBatch(store: RowStore, rowIds: ArrayLike<number>, withNames = false): RowBatch {
  const n = rowIds.length;
  const starts = new Int32Array(n + 1);
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    const [s, e] = store.range(rowIds[i] as number);
    nnz += e - s;
    starts[i + 1] = nnz;
  }
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  const srcIdx = store.indices();
  const srcVal = store.values();
  for (let i = 0; i < n; i++) {
    const r = rowIds[i] as number;
    const [s, e] = store.range(r);
    indices.set(srcIdx.subarray(s, e), starts[i] as number);
    values.set(srcVal.subarray(s, e), starts[i] as number);
    [lower[i], upper[i]] = rowBounds(store, r);
  }
  const batch: RowBatch = { count: n, starts, indices, values, lower, upper };
  return withNames ? { ...batch, names: Array.from(rowIds, (r) => `r${r}`) } : batch;
}

/** The rows of a batch at the given positions (in that order), as a batch of their own. */
export function selectRows(r: RowBatch, ids: ArrayLike<number>): RowBatch {
  const n = ids.length;
  const starts = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const id = ids[i] as number;
    starts[i + 1] = (starts[i] as number) + (r.starts[id + 1] as number) - (r.starts[id] as number);
  }
  const indices = new Int32Array(starts[n] as number);
  const values = new Float64Array(starts[n] as number);
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const id = ids[i] as number;
    const s = r.starts[id] as number;
    const e = r.starts[id + 1] as number;
    indices.set(r.indices.subarray(s, e), starts[i] as number);
    values.set(r.values.subarray(s, e), starts[i] as number);
    lower[i] = r.lower[id] as number;
    upper[i] = r.upper[id] as number;
  }
  const batch: RowBatch = { count: n, starts, indices, values, lower, upper };
  return r.names ? { ...batch, names: Array.from(ids, (id) => r.names?.[id] as string) } : batch;
}

/** Appends batch b after batch a. */
export function concatRows(a: RowBatch, b: RowBatch): RowBatch {
  const starts = new Int32Array(a.count + b.count + 1);
  starts.set(a.starts);
  const base = a.starts[a.count] as number;
  for (let i = 1; i <= b.count; i++) starts[a.count + i] = base + (b.starts[i] as number);
  const cat = <T extends Float64Array | Int32Array>(x: T, y: T, make: (n: number) => T): T => {
    const out = make(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  const f64 = (n: number) => new Float64Array(n);
  const batch: RowBatch = {
    count: a.count + b.count,
    starts,
    indices: cat(
      a.indices.subarray(0, base),
      b.indices.subarray(0, b.starts[b.count]),
      (n) => new Int32Array(n),
    ),
    values: cat(a.values.subarray(0, base), b.values.subarray(0, b.starts[b.count]), f64),
    lower: cat(a.lower, b.lower, f64),
    upper: cat(a.upper, b.upper, f64),
  };
  if (!a.names && !b.names) return batch;
  const names = (x: RowBatch, off: number) =>
    x.names ?? Array.from({ length: x.count }, (_, i) => `r${off + i}`);
  return { ...batch, names: [...names(a, 0), ...names(b, a.count)] };
}

/** Dense objective vector of length n from either objective form. */
export function denseObjective(obj: LinearObjective, n: number): Float64Array {
  const c = new Float64Array(n);
  const co = obj.coefficients;
  if ("indices" in co) {
    for (let k = 0; k < co.indices.length; k++)
      c[co.indices[k] as number] = (c[co.indices[k] as number] as number) + (co.values[k] as number);
  } else {
    if (co.length > n)
      throw new InvalidModelError(`objective has ${co.length} coefficients for ${n} variables`);
    for (let j = 0; j < co.length; j++) c[j] = co[j] as number;
  }
  return c;
}

export interface ToLinearProgramOptions {
  /** Rows to include, e.g. `restrictAt(...).rows`; default: the system's required rows (no disjunctions allowed). */
  rows?: ArrayLike<number>;
  objective: LinearObjective;
  /** Keep variable and row names in the program (needed for LP-format output). */
  names?: boolean;
}

/** Lowers a disjunction-free system (or a chosen set of its rows) plus an objective to an LP. */
export function toLinearProgram(sys: ConstraintSystem, opts: ToLinearProgramOptions): LinearProgram {
  let rowIds = opts.rows;
  if (rowIds === undefined) {
    if (sys.disjunctions.length > 0) {
      throw new DisjunctionError(
        `the system has ${sys.disjunctions.length} disjunctions: restrict it at a point (restrictAt); exact answers over the disjunctions are @rho/bounds' MILP`,
      );
    }
    rowIds = sys.requiredRows();
  }
  const n = sys.vars.count;
  const lp: LinearProgram = {
    numCols: n,
    sense: opts.objective.sense,
    objective: denseObjective(opts.objective, n),
    objectiveOffset: opts.objective.constant ?? 0,
    colLower: sys.vars.lowerBounds(),
    colUpper: sys.vars.upperBounds(),
    rows: rowsToBatch(sys.rows, rowIds, opts.names ?? false),
  };
  return opts.names ? { ...lp, colNames: Array.from({ length: n }, (_, j) => sys.vars.name(j)) } : lp;
}

/** Checks dimensions, NaNs, index ranges and bound order; throws InvalidModelError naming the first problem. */
export function validateProgram(lp: LinearProgram): void {
  const bad = (msg: string): never => {
    throw new InvalidModelError(msg);
  };
  const n = lp.numCols;
  if (!Number.isInteger(n) || n < 0) bad(`numCols ${n} is not a non-negative integer`);
  for (const [name, arr] of [
    ["objective", lp.objective],
    ["colLower", lp.colLower],
    ["colUpper", lp.colUpper],
  ] as const) {
    if (arr.length !== n) bad(`${name} has length ${arr.length}, expected ${n}`);
  }
  if (lp.integer && lp.integer.length !== n) bad(`integer has length ${lp.integer.length}, expected ${n}`);
  if (lp.colNames && lp.colNames.length !== n)
    bad(`colNames has length ${lp.colNames.length}, expected ${n}`);
  if (!Number.isFinite(lp.objectiveOffset)) bad(`objective offset ${lp.objectiveOffset} is not finite`);
  for (let j = 0; j < n; j++) {
    if (!Number.isFinite(lp.objective[j] as number))
      bad(`objective coefficient of column ${j} is not finite`);
    const lo = lp.colLower[j] as number;
    const hi = lp.colUpper[j] as number;
    if (
      Number.isNaN(lo) ||
      Number.isNaN(hi) ||
      lo > hi ||
      lo === Number.POSITIVE_INFINITY ||
      hi === Number.NEGATIVE_INFINITY
    ) {
      bad(`column ${j} has bounds [${lo}, ${hi}]`);
    }
  }
  const r = lp.rows;
  if (r.starts.length !== r.count + 1 || r.starts[0] !== 0)
    bad(`rows.starts must have length count+1 and start at 0`);
  if (r.lower.length !== r.count || r.upper.length !== r.count) bad(`row bounds must have length ${r.count}`);
  if (r.names && r.names.length !== r.count)
    bad(`rows.names has length ${r.names.length}, expected ${r.count}`);
  const nnz = r.starts[r.count] as number;
  if (r.indices.length < nnz || r.values.length < nnz) bad(`rows hold fewer than ${nnz} nonzeros`);
  for (let i = 0; i < r.count; i++) {
    const s = r.starts[i] as number;
    const e = r.starts[i + 1] as number;
    if (e < s) bad(`rows.starts decreases at row ${i}`);
    const lo = r.lower[i] as number;
    const hi = r.upper[i] as number;
    if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) bad(`row ${i} has bounds [${lo}, ${hi}]`);
    for (let k = s; k < e; k++) {
      const j = r.indices[k] as number;
      if (!(j >= 0 && j < n)) bad(`row ${i} refers to column ${j}, not in [0, ${n})`);
      if (!Number.isFinite(r.values[k] as number)) bad(`row ${i} has a non-finite coefficient`);
    }
  }
}

/** Column names, defaulting to `x<j>`. */
export const colName = (lp: LinearProgram, j: number): string => lp.colNames?.[j] ?? `x${j}`;
/** Row names, defaulting to `r<i>`. */
export const rowName = (rows: RowBatch, i: number): string => rows.names?.[i] ?? `r${i}`;
