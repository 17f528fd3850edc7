import { InvalidModelError } from "./errors.js";
import { growFloat64, growInt32, growUint8 } from "./growable.js";

/** A linear relation w·x + b ⋈ 0 with ⋈ ∈ {≥, ≤, =}, the paper's atomic constraint. */
export type Relation = "ge" | "le" | "eq";
const CODE: Record<Relation, number> = { ge: 0, le: 1, eq: 2 };
const RELATIONS: readonly Relation[] = ["ge", "le", "eq"];

/**
 * Linear relations stored row-wise in compressed sparse row form, in growable typed arrays.
 * Zero coefficients are dropped on insertion; duplicate indices within a row are rejected.
 */
export class RowStore {
  private readonly starts = growInt32(1024);
  private readonly idx = growInt32(4096);
  private readonly val = growFloat64(4096);
  private readonly constants = growFloat64(1024);
  private readonly relations = growUint8(1024);
  private stamp = new Int32Array(0);
  private stampRow = 0;

  constructor() {
    this.starts.push(0);
  }

  get count(): number {
    return this.constants.length;
  }
  get nonzeros(): number {
    return this.idx.length;
  }

  /** Appends w·x + b ⋈ 0 and returns its row index. `numVars` bounds the indices. */
  add(
    indices: ArrayLike<number>,
    values: ArrayLike<number>,
    constant: number,
    relation: Relation,
    numVars: number,
  ): number {
    if (indices.length !== values.length) {
      throw new InvalidModelError(`row ${this.count}: ${indices.length} indices but ${values.length} values`);
    }
    if (!Number.isFinite(constant))
      throw new InvalidModelError(`row ${this.count}: constant ${constant} is not finite`);
    if (this.stamp.length < numVars) {
      const next = new Int32Array(Math.max(numVars, this.stamp.length * 2));
      next.set(this.stamp);
      this.stamp = next;
    }
    const row = this.count;
    const mark = ++this.stampRow;
    this.idx.reserve(this.idx.length + indices.length);
    this.val.reserve(this.val.length + indices.length);
    for (let k = 0; k < indices.length; k++) {
      const j = indices[k] as number;
      const w = values[k] as number;
      if (!Number.isInteger(j) || j < 0 || j >= numVars) {
        this.rollback(row);
        throw new InvalidModelError(`row ${row}: variable index ${j} is not in [0, ${numVars})`);
      }
      if (!Number.isFinite(w)) {
        this.rollback(row);
        throw new InvalidModelError(`row ${row}: coefficient ${w} of variable ${j} is not finite`);
      }
      if (this.stamp[j] === mark) {
        this.rollback(row);
        throw new InvalidModelError(`row ${row}: variable ${j} appears twice`);
      }
      this.stamp[j] = mark;
      if (w === 0) continue;
      this.idx.push(j);
      this.val.push(w);
    }
    this.starts.push(this.idx.length);
    this.constants.push(constant);
    this.relations.push(CODE[relation]);
    return row;
  }

  private rollback(row: number): void {
    const keep = this.starts.get(row);
    this.idx.length = keep;
    this.val.length = keep;
  }

  relation(r: number): Relation {
    return RELATIONS[this.relations.get(r)] as Relation;
  }
  constant(r: number): number {
    return this.constants.get(r);
  }
  /** Half-open range of row r's entries in `indices()` / `values()`. */
  range(r: number): [number, number] {
    return [this.starts.get(r), this.starts.get(r + 1)];
  }
  /** Views of the CSR arrays (invalidated when rows are added). */
  indices(): Int32Array {
    return this.idx.view();
  }
  values(): Float64Array {
    return this.val.view();
  }

  /** w·x + b for row r. */
  activity(r: number, x: ArrayLike<number>): number {
    const idx = this.idx.view();
    const val = this.val.view();
    let s = this.constants.get(r);
    for (let k = this.starts.get(r), e = this.starts.get(r + 1); k < e; k++) {
      s += (val[k] as number) * (x[idx[k] as number] as number);
    }
    return s;
  }

  /** How far x is from satisfying row r (0 when satisfied). */
  violation(r: number, x: ArrayLike<number>): number {
    const a = this.activity(r, x);
    switch (this.relations.get(r)) {
      case 0:
        return Math.max(-a, 0);
      case 1:
        return Math.max(a, 0);
      default:
        return Math.abs(a);
    }
  }

  satisfied(r: number, x: ArrayLike<number>, tol: number): boolean {
    return this.violation(r, x) <= tol;
  }
}
