// Working arrays for α-CROWN's steps, cut from one reused buffer. A step makes some thirty
// arrays (every layer's carried row, the relaxed forward pass's values) that are dead by the next
// step. In V8 a new Float64Array of more than 8 entries gets its own off-heap store: 1–4 µs each on
// our machines (a 784-entry one, 4.5 µs; a view into an existing buffer, 0.2 µs), which made
// allocation a large share of a branch-and-bound domain's time (benchmarks/verify/README.md).

/** Float64Arrays carved from one buffer, all given back at once by `release`. */
export class Scratch {
  private buffer = new ArrayBuffer(1 << 16);
  /** Bytes handed out since the last release. */
  private used = 0;

  /** A zeroed array of n entries, valid until the next `release`. */
  take(n: number): Float64Array {
    const bytes = n * Float64Array.BYTES_PER_ELEMENT;
    if (this.used + bytes > this.buffer.byteLength) {
      // a larger buffer from here on: the views already handed out keep the old one alive
      this.buffer = new ArrayBuffer(Math.max(2 * this.buffer.byteLength, 2 * bytes));
      this.used = 0;
    }
    const a = new Float64Array(this.buffer, this.used, n);
    a.fill(0);
    this.used += bytes;
    return a;
  }

  /** Every array taken so far may be overwritten from now on. */
  release(): void {
    this.used = 0;
  }
}

/** Allocates as `new Float64Array(n)` does, outside any scratch buffer. */
export const fresh = (n: number): Float64Array => new Float64Array(n);
