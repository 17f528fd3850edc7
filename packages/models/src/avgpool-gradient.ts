// TensorFlow.js's AvgPool forward pass divides a 'same'-padded window that overhangs the input by
// the cells inside it (as TensorFlow does), but the AvgPoolGrad kernels of its cpu and wasm
// backends divide by the full window size: border gradients come out too small (by 9/6 and 9/4
// for NiN's 3×3 stride-2 pools). Training and every gradient attack on such a model would follow
// the wrong gradient. The gradient registered here rescales dy by (window size / cells inside)
// before the backend's kernel, on backends whose kernel needs it (checked once per backend, so a
// native TensorFlow backend with a correct kernel is left alone).
import * as tf from "@tensorflow/tfjs";

type Pair = number | [number, number];

interface AvgPoolAttrs {
  filterSize: Pair;
  strides: Pair;
  pad: "valid" | "same" | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : v);

const needsRescale = new Map<string, boolean>();

/** Whether the current backend's AvgPoolGrad divides overhanging 'same' windows by the full window. */
function kernelDividesByFullWindow(): boolean {
  const backend = tf.getBackend();
  let v = needsRescale.get(backend);
  if (v === undefined) {
    v = tf.tidy(() => {
      const ones = tf.ones([1, 2, 2, 1]);
      const dx = tf
        .engine()
        .runKernel("AvgPoolGrad", { dy: ones, input: ones }, { filterSize: 2, strides: 1, pad: "same" });
      // the last cell lies in windows of 4, 2, 2 and 1 cells: 2.25 when divided by those, 1 by 4 each
      return ((dx as tf.Tensor).dataSync()[3] as number) < 2;
    });
    needsRescale.set(backend, v);
  }
  return v;
}

/** Per output position along one axis: window size / cells of the window inside the input (TF's 'same'). */
function axisRatios(size: number, k: number, s: number): number[] {
  const out = Math.ceil(size / s);
  const before = Math.floor(Math.max((out - 1) * s + k - size, 0) / 2);
  return Array.from({ length: out }, (_, o) => {
    const start = o * s - before;
    return k / (Math.min(start + k, size) - Math.max(start, 0));
  });
}

let registered = false;

/** Registers, once, the corrected AvgPool gradient (see the top of this file). */
export function registerAvgPoolGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: "AvgPool",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor4D];
      const a = attrs as unknown as AvgPoolAttrs;
      const grad = dy as tf.Tensor4D;
      return {
        x: () => {
          let scaled = grad;
          if (a.pad === "same" && kernelDividesByFullWindow()) {
            const [kh, kw] = pair(a.filterSize);
            const [sh, sw] = pair(a.strides);
            const rows = axisRatios(x.shape[1], kh, sh);
            const cols = axisRatios(x.shape[2], kw, sw);
            const ratio = tf.tensor4d(
              rows.flatMap((r) => cols.map((c) => r * c)),
              [1, rows.length, cols.length, 1],
            );
            scaled = tf.mul(grad, ratio);
          }
          return tf.engine().runKernel("AvgPoolGrad", { dy: scaled, input: x }, { ...a }) as tf.Tensor;
        },
      };
    },
  });
}
