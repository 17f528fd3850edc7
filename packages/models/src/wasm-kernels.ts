// Kernels the TensorFlow.js WebAssembly backend (4.22) lacks but training needs.
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

type KernelFunc = tf.KernelConfig["kernelFunc"];

const call = (name: string, args: Parameters<KernelFunc>[0]): tf.TensorInfo => {
  const kernel = tf.getKernel(name, "wasm");
  if (!kernel) throw new Error(`the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc(args) as tf.TensorInfo;
};

interface ConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** The sizes both gradient kernels need, from tfjs' own convolution arithmetic. */
function convGeometry(kernel: string, inShape: number[], filterShape: number[], attrs: ConvAttrs) {
  if (attrs.dataFormat !== "NHWC") throw new Error(`${kernel} on wasm supports NHWC only`);
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1)
    throw new Error(`${kernel} on wasm supports dilation 1 only`);
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    c: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    co: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    /** Rows of the im2col matrix: batch · outHeight · outWidth. */
    m: info.batchSize * info.outHeight * info.outWidth,
    /** Columns: kh · kw · inChannels. */
    k: info.filterHeight * info.filterWidth * info.inChannels,
  };
}

/**
 * ∂loss/∂filter of a 2-D convolution (NHWC): im2col of x into a K × M matrix
 * (M = batch·outHeight·outWidth, K = kh·kw·inChannels, zeros where the window hangs over the
 * padding), then patches · dy with the backend's own BatchMatMul, reshaped to HWIO.
 *
 * The patches buffer is allocated before any view of the wasm heap is taken: an allocation can
 * grow the heap and detach earlier views, which silently corrupts other tensors' data.
 */
const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape } = attrs as unknown as { filterShape: [number, number, number, number] };
  const { n, h, w, c, oh, ow, co, kh, kw, sh, sw, top, left, m, k } = convGeometry(
    "Conv2DBackpropFilter",
    x.shape,
    filterShape,
    attrs as unknown as ConvAttrs,
  );

  // Patches are written transposed (K × M): tfjs-wasm's BatchMatMul is ~10× slower with a
  // transpose flag than on plain operands.
  const patches = wasm.makeOutput([k, m], "float32");
  const xs = wasm.typedArrayFromHeap(x) as Float32Array;
  const p = wasm.typedArrayFromHeap(patches) as Float32Array;
  // Row k of the K × M matrix is one (ky, kx, channel) tap over every output position: filling
  // it row by row keeps the writes contiguous.
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      for (let ch = 0; ch < c; ch++) {
        let dst = ((ky * kw + kx) * c + ch) * m;
        for (let b = 0; b < n; b++) {
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy * sh + ky - top;
            const rowInside = iy >= 0 && iy < h;
            const base = (b * h + iy) * w;
            for (let ox = 0; ox < ow; ox++, dst++) {
              const ix = ox * sw + kx - left;
              p[dst] = rowInside && ix >= 0 && ix < w ? (xs[(base + ix) * c + ch] as number) : 0;
            }
          }
        }
      }
    }
  }
  const dy2 = call("Reshape", { inputs: { x: dy }, backend, attrs: { shape: [m, co] } });
  const product = call("BatchMatMul", {
    inputs: { a: patches, b: dy2 },
    backend,
    attrs: { transposeA: false, transposeB: false },
  });
  const out = call("Reshape", { inputs: { x: product }, backend, attrs: { shape: filterShape } });
  wasm.disposeData(patches.dataId);
  wasm.disposeData(dy2.dataId);
  wasm.disposeData(product.dataId);
  return out;
};

/**
 * ∂loss/∂input of a 2-D convolution (NHWC): cols = dy · filterᵀ (M × K, the backend's
 * BatchMatMul), then col2im: each column entry is added back to the input cell it came from.
 * Replaces tfjs-backend-wasm 4.22's direct loop, which took 126 ms for LeNet's second conv on
 * a batch of 64 (most of a training step).
 */
const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape } = attrs as unknown as { inputShape: [number, number, number, number] };
  const { n, h, w, c, oh, ow, co, kh, kw, sh, sw, top, left, m, k } = convGeometry(
    "Conv2DBackpropInput",
    inputShape,
    filter.shape,
    attrs as unknown as ConvAttrs,
  );
  const dy2 = call("Reshape", { inputs: { x: dy }, backend, attrs: { shape: [m, co] } });
  const f2 = call("Reshape", { inputs: { x: filter }, backend, attrs: { shape: [k, co] } });
  // an explicit transpose of the small filter keeps the big product free of transpose flags
  const fT = call("Transpose", { inputs: { x: f2 }, backend, attrs: { perm: [1, 0] } });
  const cols = call("BatchMatMul", {
    inputs: { a: dy2, b: fT },
    backend,
    attrs: { transposeA: false, transposeB: false },
  });
  const dx = wasm.makeOutput(inputShape, "float32");
  // views only after the last allocation
  const src = wasm.typedArrayFromHeap(cols) as Float32Array;
  const out = wasm.typedArrayFromHeap(dx) as Float32Array;
  out.fill(0);
  let row = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, row++) {
        let col = row * k;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky - top;
          for (let kx = 0; kx < kw; kx++, col += c) {
            const ix = ox * sw + kx - left;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const dst = ((b * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++)
              out[dst + ch] = (out[dst + ch] as number) + (src[col + ch] as number);
          }
        }
      }
    }
  }
  wasm.disposeData(dy2.dataId);
  wasm.disposeData(f2.dataId);
  wasm.disposeData(fT.dataId);
  wasm.disposeData(cols.dataId);
  return dx;
};

let registered = false;

/**
 * Registers, once, the missing Conv2DBackpropFilter (unless a later tfjs provides it) and the
 * faster Conv2DBackpropInput in place of the backend's own.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel("Conv2DBackpropFilter", "wasm")) {
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName: "wasm",
      kernelFunc: conv2DBackpropFilter,
    });
  }
  if (tf.getKernel("Conv2DBackpropInput", "wasm")) tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  tf.registerKernel({
    kernelName: "Conv2DBackpropInput",
    backendName: "wasm",
    kernelFunc: conv2DBackpropInput,
  });
}
