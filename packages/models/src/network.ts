import { ModelError } from "./errors.js";
import type { Layer, Reach } from "./layer.js";
import { moduleFor } from "./layers/index.js";
import { type Preprocess, unitPixels } from "./preprocess.js";
import { isImage, type Shape, showShape, size } from "./shape.js";

export interface NetworkSpec {
  readonly name?: string;
  /** [height, width, channels] for images, [n] for flat inputs (one channel). */
  readonly inputShape: Shape;
  /** Default: pixel / 255. */
  readonly preprocess?: Preprocess;
  readonly layers: readonly Layer[];
}

export interface Forward {
  /** The last layer's output. */
  readonly logits: Float64Array;
  /** activations[0] is the preprocessed input, activations[i + 1] the output of layer i. */
  readonly activations: readonly Float64Array[];
}

/** A unit's receptive field: height and width in input cells, and the stride between neighbours' fields. */
interface Field {
  readonly h: number;
  readonly w: number;
  readonly sh: number;
  readonly sw: number;
}

/** Each network's receptive fields, computed on first use (kept off the instance, which stays plain data). */
const FIELDS = new WeakMap<Network, readonly number[]>();

/** The most values one layer's output may hold (NiN's largest layer has 196,608). */
export const MAX_ACTIVATION = 2 ** 26;

export const describeLayer = (layer: Layer, index: number): string =>
  `layer ${index} (${layer.kind}${layer.name ? ` "${layer.name}"` : ""})`;

/**
 * The network IR: input shape and affine preprocessing, then layers. Shapes are checked on
 * construction and every error names the layer. Everything else in rho reads this description.
 */
export class Network {
  readonly name: string;
  readonly inputShape: Shape;
  readonly preprocess: Preprocess;
  readonly layers: readonly Layer[];
  /** shapes[0] is the input shape, shapes[i + 1] the output shape of layer i. */
  readonly shapes: readonly Shape[];
  /** inputs[i]: the values layer i reads (activation indices; [i] in a chain). */
  readonly inputs: readonly (readonly number[])[];
  /** inShapes[i]: layer i's input shape as its module sees it ([total] for a join). */
  readonly inShapes: readonly Shape[];
  /** Whether every layer reads the one before it (a sequential network). */
  readonly chain: boolean;

  constructor(spec: NetworkSpec) {
    this.name = spec.name ?? "network";
    const input = spec.inputShape;
    if (!(input.length === 1 || input.length === 3) || !input.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ModelError(
        `input shape ${JSON.stringify(input)} must be [height, width, channels] or [n] of positive integers`,
      );
    }
    if (size(input) > MAX_ACTIVATION)
      throw new ModelError(`input shape ${showShape(input)} has more than ${MAX_ACTIVATION} values`);
    this.inputShape = input;
    const channels = isImage(input) ? input[2] : 1;
    this.preprocess = spec.preprocess ?? unitPixels(channels);
    const { scale, shift } = this.preprocess;
    if (scale.length !== channels || shift.length !== channels) {
      throw new ModelError(
        `preprocessing has ${scale.length} scales and ${shift.length} shifts for ${channels} input channels`,
      );
    }
    if (![...scale, ...shift].every(Number.isFinite))
      throw new ModelError("preprocessing scales and shifts must be finite");
    if (spec.layers.length === 0) throw new ModelError("a network needs at least one layer");
    const shapes: Shape[] = [input];
    const inputs: (readonly number[])[] = [];
    const inShapes: Shape[] = [];
    const layers: Layer[] = [];
    spec.layers.forEach((given, i) => {
      let layer = given;
      const where = describeLayer(layer, i);
      if (!layer || typeof layer !== "object" || !("kind" in layer) || moduleFor(layer) === undefined) {
        throw new ModelError(
          `layer ${i}: unknown layer kind ${JSON.stringify((layer as { kind?: unknown })?.kind)}`,
        );
      }
      const mod = moduleFor(layer);
      const from = layer.inputs ?? [i];
      // (a value may be read twice: x + x, or a concat of x with itself)
      if (!Array.isArray(from) || !from.every((k) => Number.isInteger(k) && k >= 0 && k <= i))
        throw new ModelError(
          `${where}: inputs ${JSON.stringify(layer.inputs)} must be earlier values (0 to ${i})`,
        );
      if (!mod.join && from.length !== 1)
        throw new ModelError(
          `${where}: reads ${from.length} values; only joins (add, concat) read more than one`,
        );
      const parts = from.map((k) => shapes[k] as Shape);
      const inShape: Shape = mod.join ? [parts.reduce((a, p) => a + size(p), 0)] : (parts[0] as Shape);
      if (layer.kind === "concat") layer = { ...layer, parts };
      let shape: Shape;
      try {
        shape = mod.outputShape(layer as never, inShape, parts);
      } catch (e) {
        throw new ModelError(`${where}: ${(e as Error).message}`);
      }
      // sizes are checked before any forward pass allocates or loops over them
      const n = size(shape);
      if (!(Number.isSafeInteger(n) && n > 0 && n <= MAX_ACTIVATION))
        throw new ModelError(
          `${where}: output ${showShape(shape)} ${n > 0 ? `has more than ${MAX_ACTIVATION} values` : "is empty"}`,
        );
      shapes.push(shape);
      inputs.push(from);
      inShapes.push(inShape);
      layers.push(layer);
      if ("weights" in layer && !layer.weights.every(Number.isFinite))
        throw new ModelError(`${where}: non-finite weight`);
      if ("bias" in layer && !layer.bias.every(Number.isFinite))
        throw new ModelError(`${where}: non-finite bias`);
    });
    this.layers = layers;
    this.shapes = shapes;
    this.inputs = inputs;
    this.inShapes = inShapes;
    this.chain = inputs.every((from, i) => from.length === 1 && from[0] === i);
  }

  /**
   * An upper bound on how many input values (pixels × channels) a unit of activation `a` depends
   * on, from the layers' shapes alone (`LayerModule.reach`): the field's height × width (clipped to
   * the image) × every channel; a window's field grows by (size − 1) × the stride so far, a join's
   * is its widest input's, a dense or global layer reads everything. Whatever the weights and a
   * region's ReLU states, no unit reads more (the input itself counts its channels: 3 on CIFAR).
   */
  receptiveField(a: number): number {
    let cached = FIELDS.get(this);
    if (!cached) {
      const all = { h: Number.POSITIVE_INFINITY, w: Number.POSITIVE_INFINITY, sh: 1, sw: 1 };
      const fields: Field[] = [{ h: 1, w: 1, sh: 1, sw: 1 }];
      this.layers.forEach((layer, i) => {
        const from = (this.inputs[i] as readonly number[]).map((k) => fields[k] as Field);
        const f = from.reduce((p, q) => ({
          h: Math.max(p.h, q.h),
          w: Math.max(p.w, q.w),
          sh: Math.max(p.sh, q.sh),
          sw: Math.max(p.sw, q.sw),
        }));
        const reach = moduleFor(layer).reach as Reach<Layer>;
        if (reach === "pointwise") fields.push(f);
        else if (reach === "all") fields.push(all);
        else {
          const { size: k, strides: s } = reach(layer);
          fields.push({
            h: f.h + (k[0] - 1) * f.sh,
            w: f.w + (k[1] - 1) * f.sw,
            sh: f.sh * s[0],
            sw: f.sw * s[1],
          });
        }
      });
      const [h, w, c] = isImage(this.inputShape) ? this.inputShape : [1, size(this.inputShape), 1];
      cached = fields.map((f) => (f === all ? h * w * c : Math.min(f.h, h) * Math.min(f.w, w) * c));
      FIELDS.set(this, cached);
    }
    return cached[a] as number;
  }

  /**
   * Layer i's input as its module reads it: the one value it reads, or a join's values
   * concatenated (`perValue[k]`: activation k's values, variables, bounds…).
   */
  inputOf<T extends Float64Array | Int32Array>(i: number, perValue: readonly T[]): T {
    const from = this.inputs[i] as readonly number[];
    if (from.length === 1) return perValue[from[0] as number] as T;
    const parts = from.map((k) => perValue[k] as T);
    const first = parts[0] as T;
    const out = new (first.constructor as { new (n: number): T })(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p as never, at);
      at += p.length;
    }
    return out;
  }

  get inputSize(): number {
    return size(this.inputShape);
  }
  get outputSize(): number {
    return size(this.shapes[this.shapes.length - 1] as Shape);
  }

  /** The preprocessed input for raw pixels (channels last), into `x` when given. */
  preprocessInput(
    pixels: ArrayLike<number>,
    x: Float64Array = new Float64Array(pixels.length),
  ): Float64Array {
    if (pixels.length !== this.inputSize) {
      throw new ModelError(
        `${this.name} takes ${this.inputSize} values (${showShape(this.inputShape)}), got ${pixels.length}`,
      );
    }
    const { scale, shift } = this.preprocess;
    const c = scale.length;
    // a plain loop (Float64Array.from with a map callback is several times slower in V8)
    for (let k = 0; k < x.length; k++)
      x[k] = (pixels[k] as number) * (scale[k % c] as number) + (shift[k % c] as number);
    return x;
  }

  /** Float64 forward pass of one example, independent of TensorFlow.js (used to verify it). */
  forward64(pixels: ArrayLike<number>): Forward {
    const activations: Float64Array[] = [this.preprocessInput(pixels)];
    this.layers.forEach((layer, i) => {
      activations.push(
        moduleFor(layer).forward(
          layer,
          this.inputOf(i, activations),
          this.inShapes[i] as Shape,
          this.shapes[i + 1] as Shape,
        ),
      );
    });
    return { logits: activations[activations.length - 1] as Float64Array, activations };
  }

  /** The predicted label (the first of tied maxima). */
  predict64(pixels: ArrayLike<number>): number {
    return argmax(this.forward64(pixels).logits);
  }
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}
