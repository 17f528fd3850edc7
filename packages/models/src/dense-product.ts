// A dense layer's product out += Σ_o a[o]·W[o, ·] (W·x forward by the rows of W's input-major
// layout, λᵀW carried back by its rows): the forward pass and the bounds spend their time here.
// In WebAssembly SIMD (scripts/build-wasm.mjs) where the runtime has it: two float64 lanes a step,
// each output's sum in the order of the JavaScript loop below, so the same bits. On a 784×256
// float64 matrix with a third of the rows zero, about 22 µs a product against 79 µs in JavaScript
// (a throwaway micro-benchmark). A matrix is copied into the module's memory the first time it is
// used and kept there, keyed by its array (a network's weights are not changed once built), until
// the memory's budget is spent; then every kept copy is dropped at once and copying starts again.
// Small and over-budget matrices, and runtimes without WebAssembly SIMD, get the JavaScript loop.
import { DENSE_SIMD_WASM } from "./dense-simd-bytes.js";

/** What this module uses of the WebAssembly API (its types come with the DOM library, not Node's). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: unknown };
}
interface Memory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface Kernels {
  readonly memory: Memory;
  readonly addWeightedRowsF64: Kernel;
  readonly addWeightedRowsF32: Kernel;
}
type Kernel = (out: number, w: number, width: number, a: number, nz: number, nnz: number) => void;

/** Bytes of matrices kept in the module's memory at most (the scratch vectors come on top). */
export const SIMD_BUDGET = 256 * 2 ** 20;
let budget = SIMD_BUDGET;
/** Entries below which a product stays in JavaScript: copying its vectors would cost more. */
export const SIMD_MIN_ENTRIES = 512;

const PAGE = 65536;
const align16 = (n: number) => (n + 15) & ~15;

let kernels: Kernels | null | undefined;
/** The module's instance, or null where the runtime cannot run it. */
function load(): Kernels | null {
  if (kernels !== undefined) return kernels;
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!wasm) throw new Error("no WebAssembly here");
    const bytes = Buffer.from(DENSE_SIMD_WASM, "base64");
    const instance = new wasm.Instance(new wasm.Module(bytes));
    kernels = instance.exports as unknown as Kernels;
  } catch {
    kernels = null;
  }
  return kernels;
}

/** Where each kept matrix starts in the module's memory, and the first free byte. */
let kept = new WeakMap<Float64Array | Float32Array, number>();
let top = 0;

/** The memory grown to at least `bytes`. */
function reserve(k: Kernels, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** The offset of w's copy in the module's memory (copied now if not kept), or undefined: too large. */
function placed(k: Kernels, w: Float64Array | Float32Array): number | undefined {
  const at = kept.get(w);
  if (at !== undefined) return at;
  if (w.byteLength > budget) return undefined;
  if (top + w.byteLength > budget) {
    // drop every kept copy: the arrays are keys no longer, and their bytes are reused
    kept = new WeakMap();
    top = 0;
  }
  const start = top;
  top = align16(top + w.byteLength);
  reserve(k, top);
  if (w instanceof Float64Array) new Float64Array(k.memory.buffer, start, w.length).set(w);
  else new Float32Array(k.memory.buffer, start, w.length).set(w);
  kept.set(w, start);
  return start;
}

/**
 * out += Σ_o a[o]·W[o, ·] over the rows o with a[o] ≠ 0 (W row-major, `width` columns), in
 * WebAssembly; false (nothing done) where it does not run here, or W is too small or too large
 * for it. The same bits as the loop in JavaScript.
 */
export function addWeightedRowsSimd(
  out: Float64Array,
  w: Float64Array | Float32Array,
  width: number,
  a: Float64Array,
): boolean {
  if (w.length < SIMD_MIN_ENTRIES) return false;
  const k = load();
  if (!k) return false;
  const wAt = placed(k, w);
  if (wAt === undefined) return false;
  // scratch above the kept matrices: the coefficients, the nonzero rows' indices, the output
  const aAt = top;
  const nzAt = align16(aAt + a.byteLength);
  const outAt = align16(nzAt + 4 * a.length);
  reserve(k, outAt + out.byteLength);
  const buffer = k.memory.buffer;
  new Float64Array(buffer, aAt, a.length).set(a);
  const nz = new Int32Array(buffer, nzAt, a.length);
  let nnz = 0;
  for (let o = 0; o < a.length; o++) if ((a[o] as number) !== 0) nz[nnz++] = o;
  const o = new Float64Array(buffer, outAt, out.length);
  o.set(out);
  (w instanceof Float64Array ? k.addWeightedRowsF64 : k.addWeightedRowsF32)(
    outAt,
    wAt,
    width,
    aAt,
    nzAt,
    nnz,
  );
  out.set(o);
  return true;
}

/**
 * out += Σ_o a[o]·W[o, ·] over the rows o with a[o] ≠ 0, W row-major with `width` columns: in
 * WebAssembly for a large float64 or float32 matrix, else in JavaScript, four nonzero rows a pass
 * (each pass over out reads and writes it once per four rows), then one; the same bits either way.
 */
export function addWeightedRows(
  out: Float64Array,
  w: ArrayLike<number>,
  width: number,
  a: Float64Array,
): void {
  if ((w instanceof Float64Array || w instanceof Float32Array) && addWeightedRowsSimd(out, w, width, a))
    return;
  const nz: number[] = [];
  for (let o = 0; o < a.length; o++) if ((a[o] as number) !== 0) nz.push(o);
  let k = 0;
  for (; k + 3 < nz.length; k += 4) {
    const o0 = nz[k] as number;
    const o1 = nz[k + 1] as number;
    const o2 = nz[k + 2] as number;
    const o3 = nz[k + 3] as number;
    const a0 = a[o0] as number;
    const a1 = a[o1] as number;
    const a2 = a[o2] as number;
    const a3 = a[o3] as number;
    const s0 = o0 * width;
    const s1 = o1 * width;
    const s2 = o2 * width;
    const s3 = o3 * width;
    for (let i = 0; i < width; i++)
      out[i] =
        (out[i] as number) +
        (a0 * (w[s0 + i] as number) +
          a1 * (w[s1 + i] as number) +
          a2 * (w[s2 + i] as number) +
          a3 * (w[s3 + i] as number));
  }
  for (; k < nz.length; k++) {
    const o = nz[k] as number;
    const ao = a[o] as number;
    const s = o * width;
    for (let i = 0; i < width; i++) out[i] = (out[i] as number) + ao * (w[s + i] as number);
  }
}

/** Whether the WebAssembly kernels run here (SIMD support). */
export const simdAvailable = (): boolean => load() !== null;

/** Sets the bytes of matrices kept (tests: a small budget makes the copies be dropped and redone). */
export function setSimdBudget(bytes: number): void {
  budget = bytes;
  kept = new WeakMap();
  top = 0;
}
