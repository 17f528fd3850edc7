import { InvalidModelError } from "./errors.js";
import { growFloat64 } from "./growable.js";

/** Indexed real variables with optional bounds (default: free, as in the paper). */
export class Variables {
  private readonly lo = growFloat64();
  private readonly hi = growFloat64();
  private readonly names = new Map<number, string>();

  get count(): number {
    return this.lo.length;
  }

  /** Adds one variable and returns its index. */
  add(lower = Number.NEGATIVE_INFINITY, upper = Number.POSITIVE_INFINITY, name?: string): number {
    if (Number.isNaN(lower) || Number.isNaN(upper) || lower > upper) {
      throw new InvalidModelError(
        `variable ${name ?? this.count}: bounds [${lower}, ${upper}] are empty or NaN`,
      );
    }
    const j = this.lo.length;
    this.lo.push(lower);
    this.hi.push(upper);
    if (name !== undefined) this.names.set(j, name);
    return j;
  }

  /** Adds `n` variables sharing bounds; returns the index of the first. Names are `${prefix}${k}` when given. */
  addMany(
    n: number,
    lower = Number.NEGATIVE_INFINITY,
    upper = Number.POSITIVE_INFINITY,
    prefix?: string,
  ): number {
    const first = this.count;
    for (let k = 0; k < n; k++) this.add(lower, upper, prefix === undefined ? undefined : `${prefix}${k}`);
    return first;
  }

  lower(j: number): number {
    return this.lo.get(j);
  }
  upper(j: number): number {
    return this.hi.get(j);
  }
  setBounds(j: number, lower: number, upper: number): void {
    if (j < 0 || j >= this.count) throw new InvalidModelError(`variable ${j} does not exist`);
    if (Number.isNaN(lower) || Number.isNaN(upper) || lower > upper) {
      throw new InvalidModelError(`variable ${this.name(j)}: bounds [${lower}, ${upper}] are empty or NaN`);
    }
    this.lo.set(j, lower);
    this.hi.set(j, upper);
  }
  /** The variable's name, or `x<index>` when it has none. */
  name(j: number): string {
    return this.names.get(j) ?? `x${j}`;
  }
  lowerBounds(): Float64Array {
    return this.lo.view().slice();
  }
  upperBounds(): Float64Array {
    return this.hi.view().slice();
  }
}
