// The dense kernels' WebAssembly (text written here, one function per weight type), compiled with
// wabt into src/dense-simd-bytes.ts as base64: the package then needs no WebAssembly toolchain to
// build or run. `npm run build:wasm -w @rho/models` rewrites the file; a test compiles the text
// again and checks the committed bytes match it.
//
// addWeightedRows<T>(out, w, width, a, nz, nnz), every address a byte offset into memory:
//   out[i] += Σ a[o]·W[o·width + i] over the nnz rows o listed (int32) at nz; out and a float64,
//   W row-major of type T (float64, or float32 widened exactly). Two output columns a step
//   (128-bit SIMD, two float64 lanes); each output's sum in the JavaScript loop's order,
//   out + (((a0·w0 + a1·w1) + a2·w2) + a3·w3) for four rows at a time, then out + a·w for the
//   rest, so the results are the same bits as dense-kernels' loops.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** One kernel's text: `name`, weights of `bytes` bytes each (8: f64, 4: f32 widened). */
function kernel(name, bytes) {
  const shift = bytes === 8 ? 0 : 1; // weight byte offset = output byte offset >> shift
  const at = (s) => `(i32.add (local.get ${s}) (i32.shr_u (local.get $i) (i32.const ${shift})))`;
  const pair = (s) =>
    bytes === 8 ? `(v128.load ${at(s)})` : `(f64x2.promote_low_f32x4 (v128.load64_zero ${at(s)}))`;
  const one = (s) => (bytes === 8 ? `(f64.load ${at(s)})` : `(f64.promote_f32 (f32.load ${at(s)}))`);
  const lane = (v) => `(f64x2.extract_lane 0 (local.get ${v}))`;
  const outAt = "(i32.add (local.get $out) (local.get $i))";
  // row r of the four: its coefficient (splat) and where its weights start
  const take = (r) => `
        (local.set $o (i32.load offset=${4 * r} (i32.add (local.get $nz) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $a${r} (f64x2.splat (f64.load (i32.add (local.get $a) (i32.shl (local.get $o) (i32.const 3))))))
        (local.set $s${r} (i32.add (local.get $w) (i32.mul (local.get $o) (local.get $rowBytes))))`;
  const sum4 = (mul, add, term) =>
    `(${add} (${add} (${add} (${mul} ${term(0)}) (${mul} ${term(1)})) (${mul} ${term(2)})) (${mul} ${term(3)}))`;
  const columns = (label, pairBody, lastBody) => `
        (local.set $i (i32.const 0))
        (block $${label}_end
          (loop $${label}
            (br_if $${label}_end (i32.ge_u (local.get $i) (local.get $pairBytes)))
            (v128.store ${outAt} (f64x2.add (v128.load ${outAt}) ${pairBody}))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $${label})))
        (if (i32.lt_u (local.get $i) (local.get $outBytes))
          (then (f64.store ${outAt} (f64.add (f64.load ${outAt}) ${lastBody}))))`;
  return `
  (func (export "${name}")
    (param $out i32) (param $w i32) (param $width i32) (param $a i32) (param $nz i32) (param $nnz i32)
    (local $k i32) (local $i i32) (local $o i32) (local $rowBytes i32) (local $outBytes i32) (local $pairBytes i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $rowBytes (i32.mul (local.get $width) (i32.const ${bytes})))
    (local.set $outBytes (i32.shl (local.get $width) (i32.const 3)))
    (local.set $pairBytes (i32.shl (i32.shr_u (local.get $width) (i32.const 1)) (i32.const 4)))
    (block $fours_end
      (loop $fours
        (br_if $fours_end (i32.gt_s (i32.add (local.get $k) (i32.const 4)) (local.get $nnz)))${[0, 1, 2, 3].map(take).join("")}${columns(
          "four",
          sum4("f64x2.mul", "f64x2.add", (r) => `(local.get $a${r}) ${pair(`$s${r}`)}`),
          sum4("f64.mul", "f64.add", (r) => `${lane(`$a${r}`)} ${one(`$s${r}`)}`),
        )}
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $fours)))
    (block $ones_end
      (loop $ones
        (br_if $ones_end (i32.ge_s (local.get $k) (local.get $nnz)))${take(0)}${columns(
          "one",
          `(f64x2.mul (local.get $a0) ${pair("$s0")})`,
          `(f64.mul ${lane("$a0")} ${one("$s0")})`,
        )}
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $ones))))`;
}

/** The module's text. */
export const denseKernelsWat = () => `(module
  (memory (export "memory") 1)${kernel("addWeightedRowsF64", 8)}${kernel("addWeightedRowsF32", 4)})
`;

/** The module's bytes (SIMD enabled). */
export async function denseKernelsWasm() {
  const wabt = await wabtInit();
  const module = wabt.parseWat("dense-kernels.wat", denseKernelsWat(), { simd: true });
  try {
    module.validate();
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** The generated TypeScript file holding `bytes`. */
export function bytesModule(bytes) {
  const lines =
    Buffer.from(bytes)
      .toString("base64")
      .match(/.{1,96}/g) ?? [];
  return `// Generated by scripts/build-wasm.mjs: do not edit (npm run build:wasm -w @rho/models).
/** The dense kernels' WebAssembly module, base64. */
export const DENSE_SIMD_WASM =
${lines.map((l) => `  "${l}"`).join(" +\n")};
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = await denseKernelsWasm();
  writeFileSync(join(root, "src/dense-simd-bytes.ts"), bytesModule(bytes));
  console.log(`wrote src/dense-simd-bytes.ts (${bytes.length} bytes of WebAssembly)`);
}
