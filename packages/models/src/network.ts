import { ModelError } from "./errors.js";
import type { Layer } from "./layer.js";
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
    this.layers = spec.layers;
    const shapes: Shape[] = [input];
    spec.layers.forEach((layer, i) => {
      const where = describeLayer(layer, i);
      if (!layer || typeof layer !== "object" || !("kind" in layer) || moduleFor(layer) === undefined) {
        throw new ModelError(
          `layer ${i}: unknown layer kind ${JSON.stringify((layer as { kind?: unknown })?.kind)}`,
        );
      }
      let shape: Shape;
      try {
        shape = moduleFor(layer).outputShape(layer, shapes[i] as Shape);
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
      if ("weights" in layer && !layer.weights.every(Number.isFinite))
        throw new ModelError(`${where}: non-finite weight`);
      if ("bias" in layer && !layer.bias.every(Number.isFinite))
        throw new ModelError(`${where}: non-finite bias`);
    });
    this.shapes = shapes;
  }

  get inputSize(): number {
    return size(this.inputShape);
  }
  get outputSize(): number {
    return size(this.shapes[this.shapes.length - 1] as Shape);
  }

  /** The preprocessed input for raw pixels (channels last). */
  preprocessInput(pixels: ArrayLike<number>): Float64Array {
    if (pixels.length !== this.inputSize) {
      throw new ModelError(
        `${this.name} takes ${this.inputSize} values (${showShape(this.inputShape)}), got ${pixels.length}`,
      );
    }
    const { scale, shift } = this.preprocess;
    const c = scale.length;
    return Float64Array.from(
      { length: pixels.length },
      (_, k) => (pixels[k] as number) * (scale[k % c] as number) + (shift[k % c] as number),
    );
  }

  /** Float64 forward pass of one example, independent of TensorFlow.js (used to verify it). */
  forward64(pixels: ArrayLike<number>): Forward {
    const activations: Float64Array[] = [this.preprocessInput(pixels)];
    this.layers.forEach((layer, i) => {
      activations.push(
        moduleFor(layer).forward(
          layer,
          activations[i] as Float64Array,
          this.shapes[i] as Shape,
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
