// Amortised-doubling typed arrays: building 10^5 rows must not allocate an object per coefficient.

type Numeric = Float64Array | Int32Array | Uint8Array;

export class Growable<T extends Numeric> {
  private buf: T;
  length = 0;
  constructor(
    private readonly make: (n: number) => T,
    capacity = 16,
  ) {
    this.buf = make(Math.max(1, capacity));
  }
  push(v: number): void {
    if (this.length === this.buf.length) this.reserve(this.length + 1);
    this.buf[this.length++] = v;
  }
  get(i: number): number {
    return this.buf[i] as number;
  }
  set(i: number, v: number): void {
    this.buf[i] = v;
  }
  reserve(min: number): void {
    if (min <= this.buf.length) return;
    const next = this.make(Math.max(min, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  /** A view of the filled part; invalidated by the next push that grows the buffer. */
  view(): T {
    return this.buf.subarray(0, this.length) as T;
  }
}

export const growFloat64 = (capacity?: number) => new Growable((n) => new Float64Array(n), capacity);
export const growInt32 = (capacity?: number) => new Growable((n) => new Int32Array(n), capacity);
export const growUint8 = (capacity?: number) => new Growable((n) => new Uint8Array(n), capacity);
