// The one pooling TensorFlow.js's layers cannot express: a max- or average-pool with explicit
// (possibly asymmetric) padding that is neither "valid" nor TensorFlow's "same" — PyTorch's
// MaxPool2d(3, 2, padding=1) in every ResNet stem. Max pads with −FLT_MAX (never the maximum,
// as ONNX's −∞), then pools "valid"; average pads zeros, pools "valid" and rescales each output by
// window size / cells inside (the average over the cells inside, as ONNX's count_include_pad=0).
// Pad, pooling and multiply all have gradients in tfjs, so training and attacks see the exact one.
import * as tf from "@tensorflow/tfjs";

export const RHO_POOL_CLASS = "RhoPool2D";

export interface RhoPoolConfig {
  mode: "max" | "avg";
  pool_size: [number, number];
  strides: [number, number];
  /** [[top, bottom], [left, right]], as Keras' ZeroPadding2D. */
  padding: [[number, number], [number, number]];
}

const LOWEST = -3.4028234663852886e38;

class RhoPool2D extends tf.layers.Layer {
  static className = RHO_POOL_CLASS;
  private readonly cfg: RhoPoolConfig;
  private scale?: { key: string; t: tf.Tensor };

  constructor(
    config: RhoPoolConfig & { name?: string; poolSize?: [number, number]; batchInputShape?: tf.Shape },
  ) {
    // as the first layer it carries the model's input shape
    super({
      ...(config.name ? { name: config.name } : {}),
      ...(config.batchInputShape ? { batchInputShape: config.batchInputShape } : {}),
    });
    // tf.loadLayersModel hands the config over in camelCase (poolSize)
    this.cfg = {
      mode: config.mode,
      pool_size: config.pool_size ?? config.poolSize,
      strides: config.strides,
      padding: config.padding,
    };
  }

  private out(n: number, axis: 0 | 1): number {
    const [b, a] = this.cfg.padding[axis];
    return Math.floor((n + b + a - this.cfg.pool_size[axis]) / this.cfg.strides[axis]) + 1;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w, c] = s as tf.Shape;
    return [n ?? null, h == null ? null : this.out(h, 0), w == null ? null : this.out(w, 1), c ?? null];
  }

  /** k·k / (cells of each output's window inside the input), shaped [oh, ow, 1]. */
  private averageScale(h: number, w: number): tf.Tensor {
    const key = `${h}x${w}`;
    if (this.scale?.key === key) return this.scale.t;
    const [kh, kw] = this.cfg.pool_size;
    const [sh, sw] = this.cfg.strides;
    const [[top], [left]] = this.cfg.padding;
    const oh = this.out(h, 0);
    const ow = this.out(w, 1);
    const inside = (o: number, s: number, pad: number, k: number, n: number) =>
      Math.min(o * s - pad + k, n) - Math.max(o * s - pad, 0);
    const data = new Float32Array(oh * ow);
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++)
        data[y * ow + x] = (kh * kw) / (inside(y, sh, top, kh, h) * inside(x, sw, left, kw, w));
    this.scale?.t.dispose();
    this.scale = { key, t: tf.keep(tf.tensor3d(data, [oh, ow, 1])) };
    return this.scale.t;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [[t, b], [l, r]] = this.cfg.padding;
      const pads: [number, number][] = [
        [0, 0],
        [t, b],
        [l, r],
        [0, 0],
      ];
      if (this.cfg.mode === "max")
        return tf.maxPool(tf.pad(x, pads, LOWEST), this.cfg.pool_size, this.cfg.strides, "valid");
      const avg = tf.avgPool(tf.pad(x, pads, 0), this.cfg.pool_size, this.cfg.strides, "valid");
      return tf.mul(avg, this.averageScale(x.shape[1], x.shape[2]));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.cfg } as unknown as tf.serialization.ConfigDict;
  }
}

let registered = false;
/** Makes RhoPool2D known to tf.loadLayersModel (once). */
export function registerRhoPool(): void {
  if (registered) return;
  tf.serialization.registerClass(RhoPool2D);
  registered = true;
}
