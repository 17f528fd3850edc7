// The TensorFlow.js layers format (what `model.save()` writes: model.json with a Keras
// Sequential topology and a weights manifest, plus binary shards), converted to and from the
// IR without TensorFlow.js, so a model on disk can be checked and loaded with clear errors.
import { concatBytes } from "./bytes.js";
import { ModelError } from "./errors.js";
import type { Layer } from "./layer.js";
import { Network } from "./network.js";
import type { Preprocess } from "./preprocess.js";
import type { Padding, Shape } from "./shape.js";

export interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: string;
}

/** model.json's content plus the concatenated weight bytes (tfjs' ModelArtifacts, minus loading). */
export interface LayersArtifacts {
  readonly modelTopology: KerasModel;
  readonly weightSpecs: WeightSpec[];
  readonly weightData: ArrayBuffer;
}

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}
interface KerasModel {
  class_name: string;
  config: { name?: string; layers: KerasLayer[] } | KerasLayer[];
  keras_version?: string;
  backend?: string;
}

export const SUPPORTED_KERAS_LAYERS = [
  "InputLayer",
  "Conv2D",
  "Dense",
  "MaxPooling2D",
  "AveragePooling2D",
  "GlobalAveragePooling2D",
  "Flatten",
  "Dropout",
  "ReLU",
  "Activation",
] as const;

const pair = (v: unknown, what: string): [number, number] => {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length !== 2 || !a.every((x) => Number.isInteger(x) && x > 0))
    throw new Error(`${what} ${JSON.stringify(v)} is not a positive integer pair`);
  return [a[0] as number, a[1] as number];
};

/** Reads a Keras/tfjs Sequential topology and its weights into the IR. */
export function fromLayersArtifacts(art: LayersArtifacts, preprocess?: Preprocess): Network {
  // tfjs' own save writes the Sequential model here; the Keras-to-tfjs converter nests it in model_config.
  const raw = art.modelTopology as KerasModel & { model_config?: KerasModel };
  const topo = raw?.model_config ?? raw;
  if (!topo || topo.class_name !== "Sequential") {
    throw new ModelError(`only Sequential models are supported, this is ${JSON.stringify(topo?.class_name)}`);
  }
  const kerasLayers = Array.isArray(topo.config) ? topo.config : topo.config.layers;
  const name = Array.isArray(topo.config) ? undefined : topo.config.name;

  // weights by name
  const weights = new Map<string, Float32Array>();
  let offset = 0;
  for (const spec of art.weightSpecs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype !== "float32")
      throw new ModelError(`weight ${spec.name} has dtype ${spec.dtype}; only float32 weights are supported`);
    if (offset + 4 * n > art.weightData.byteLength) {
      throw new ModelError(
        `the weight data ends before weight ${spec.name} (needs ${offset + 4 * n} bytes, has ${art.weightData.byteLength})`,
      );
    }
    weights.set(spec.name, new Float32Array(art.weightData.slice(offset, offset + 4 * n)));
    offset += 4 * n;
  }
  if (offset !== art.weightData.byteLength) {
    throw new ModelError(
      `the weight data has ${art.weightData.byteLength} bytes, the manifest describes ${offset}`,
    );
  }
  const take = (layerName: string, suffix: string, expected: number): Float32Array => {
    const key = [...weights.keys()].find(
      (k) => k === `${layerName}/${suffix}` || k.endsWith(`/${layerName}/${suffix}`),
    );
    if (key === undefined) throw new Error(`no weight ${layerName}/${suffix} in the manifest`);
    const w = weights.get(key) as Float32Array;
    if (w.length !== expected) throw new Error(`weight ${key} has ${w.length} values, expected ${expected}`);
    return w;
  };

  let inputShape: Shape | undefined;
  const layers: Layer[] = [];
  let shape: Shape | undefined;
  const current = (): Shape => {
    if (!shape) throw new Error("the first layer declares no input shape (batch_input_shape)");
    return shape;
  };
  kerasLayers.forEach((kl, i) => {
    const c = kl.config ?? {};
    const lname = String(c.name ?? `layer${i}`);
    const where = `layer ${i} (${kl.class_name} "${lname}")`;
    try {
      // batch_input_shape (Keras 2, tfjs), batch_shape (Keras 3 InputLayer), batchInputShape (tfjs JS configs)
      const declared = (c.batch_input_shape ?? c.batch_shape ?? c.batchInputShape) as
        | (number | null)[]
        | undefined;
      if (declared && !inputShape) {
        const dims = declared.slice(1) as number[];
        if (!(dims.length === 1 || dims.length === 3))
          throw new Error(`input shape ${JSON.stringify(declared)} is not [batch, h, w, c] or [batch, n]`);
        inputShape = dims as unknown as Shape;
        shape = inputShape;
      }
      if (c.data_format !== undefined && c.data_format !== "channels_last")
        throw new Error(`data_format ${c.data_format} is not supported (channels_last only)`);
      const activation = (act: unknown) => {
        if (act === undefined || act === null || act === "linear") return;
        if (act === "relu") layers.push({ kind: "relu" });
        else if (act === "softmax" && i === kerasLayers.length - 1)
          return; // monotone: labels unchanged; the IR keeps logits
        else
          throw new Error(
            `activation ${JSON.stringify(act)} is not supported (relu, linear, or softmax on the last layer)`,
          );
      };
      const before = layers.length;
      switch (kl.class_name) {
        case "InputLayer":
          break;
        case "Conv2D": {
          const s = current();
          if (s.length !== 3) throw new Error(`expects an image input, got ${s.join("×")}`);
          const kernel = pair(c.kernel_size, "kernel_size");
          const dil = pair(c.dilation_rate ?? 1, "dilation_rate");
          if (dil[0] !== 1 || dil[1] !== 1) throw new Error("dilated convolutions are not supported");
          const filters = Number(c.filters);
          const w = take(lname, "kernel", kernel[0] * kernel[1] * s[2] * filters);
          const bias = c.use_bias === false ? new Float32Array(filters) : take(lname, "bias", filters);
          layers.push({
            kind: "conv2d",
            name: lname,
            filters,
            kernel,
            strides: pair(c.strides ?? 1, "strides"),
            padding: padding(c.padding),
            weights: w,
            bias,
          });
          activation(c.activation);
          break;
        }
        case "Dense": {
          const s = current();
          if (s.length !== 1)
            throw new Error(
              `expects a flat input, got ${s.join("×")} (Keras Dense on images is not supported; add Flatten)`,
            );
          const units = Number(c.units);
          const w = take(lname, "kernel", s[0] * units);
          const bias = c.use_bias === false ? new Float32Array(units) : take(lname, "bias", units);
          layers.push({ kind: "dense", name: lname, units, weights: w, bias });
          activation(c.activation);
          break;
        }
        case "MaxPooling2D":
        case "AveragePooling2D": {
          const size = pair(c.pool_size ?? 2, "pool_size");
          const strides = c.strides === null || c.strides === undefined ? size : pair(c.strides, "strides");
          layers.push({
            kind: kl.class_name === "MaxPooling2D" ? "maxpool" : "avgpool",
            name: lname,
            size,
            strides,
            padding: padding(c.padding),
          });
          break;
        }
        case "GlobalAveragePooling2D":
          if (c.keepdims === true) throw new Error("keepdims is not supported");
          layers.push({ kind: "globalavgpool", name: lname });
          break;
        case "Flatten":
          layers.push({ kind: "flatten", name: lname });
          break;
        case "Dropout":
          layers.push({ kind: "dropout", name: lname, rate: Number(c.rate ?? 0) });
          break;
        case "ReLU":
          if (c.max_value !== undefined && c.max_value !== null)
            throw new Error("ReLU with max_value is not supported");
          if (c.negative_slope !== undefined && c.negative_slope !== 0)
            throw new Error("leaky ReLU is not supported");
          if (c.threshold !== undefined && c.threshold !== 0)
            throw new Error("thresholded ReLU is not supported");
          layers.push({ kind: "relu", name: lname });
          break;
        case "Activation":
          activation(c.activation);
          break;
        default:
          throw new Error(`unsupported layer; supported: ${SUPPORTED_KERAS_LAYERS.join(", ")}`);
      }
      if (layers.length > before) {
        // track the shape through the IR's own shape rules
        const partial = new Network({
          inputShape: inputShape as Shape,
          layers,
          ...(preprocess ? { preprocess } : {}),
        });
        shape = partial.shapes[partial.shapes.length - 1];
      }
    } catch (e) {
      if (e instanceof ModelError) throw new ModelError(`${where}: ${e.message}`);
      throw new ModelError(`${where}: ${(e as Error).message}`);
    }
  });
  if (!inputShape)
    throw new ModelError("the model declares no input shape (batch_input_shape on its first layer)");
  return new Network({
    ...(name ? { name } : {}),
    inputShape,
    layers,
    ...(preprocess ? { preprocess } : {}),
  });
}

function padding(v: unknown): Padding {
  if (v === undefined || v === "valid") return "valid";
  if (v === "same") return "same";
  throw new Error(`padding ${JSON.stringify(v)} is not supported (valid or same)`);
}

/**
 * Writes the IR as a Keras Sequential topology with a weights manifest (a ReLU directly after a
 * conv2d or dense layer becomes that layer's activation, as Keras models usually have it).
 */
export function toLayersArtifacts(net: Network): LayersArtifacts {
  const layers: KerasLayer[] = [];
  const specs: WeightSpec[] = [];
  const chunks: Float32Array[] = [];
  const used = new Set<string>();
  const uniqueName = (base: string) => {
    let n = base;
    for (let k = 1; used.has(n); k++) n = `${base}_${k}`;
    used.add(n);
    return n;
  };
  const input = [null, ...net.inputShape];
  for (let i = 0; i < net.layers.length; i++) {
    const l = net.layers[i] as Layer;
    const next = net.layers[i + 1];
    const fuseRelu = (l.kind === "conv2d" || l.kind === "dense") && next?.kind === "relu";
    const name = uniqueName(l.name ?? `${l.kind}_${i}`);
    const config: Record<string, unknown> = { name, trainable: true, dtype: "float32" };
    if (i === 0) config.batch_input_shape = input;
    let cls: string;
    switch (l.kind) {
      case "conv2d":
        cls = "Conv2D";
        Object.assign(config, {
          filters: l.filters,
          kernel_size: [...l.kernel],
          strides: [...l.strides],
          padding: l.padding,
          data_format: "channels_last",
          dilation_rate: [1, 1],
          activation: fuseRelu ? "relu" : "linear",
          use_bias: true,
        });
        break;
      case "dense":
        cls = "Dense";
        Object.assign(config, { units: l.units, activation: fuseRelu ? "relu" : "linear", use_bias: true });
        break;
      case "maxpool":
      case "avgpool":
        cls = l.kind === "maxpool" ? "MaxPooling2D" : "AveragePooling2D";
        Object.assign(config, {
          pool_size: [...l.size],
          strides: [...l.strides],
          padding: l.padding,
          data_format: "channels_last",
        });
        break;
      case "globalavgpool":
        cls = "GlobalAveragePooling2D";
        Object.assign(config, { data_format: "channels_last" });
        break;
      case "flatten":
        cls = "Flatten";
        break;
      case "dropout":
        cls = "Dropout";
        config.rate = l.rate;
        break;
      case "relu":
        cls = "ReLU";
        break;
    }
    layers.push({ class_name: cls, config });
    if (l.kind === "conv2d" || l.kind === "dense") {
      const inShape = net.shapes[i] as Shape;
      const kshape =
        l.kind === "conv2d"
          ? [...l.kernel, inShape[inShape.length - 1] as number, l.filters]
          : [inShape[0], l.units];
      const units = l.kind === "conv2d" ? l.filters : l.units;
      specs.push(
        { name: `${name}/kernel`, shape: kshape as number[], dtype: "float32" },
        { name: `${name}/bias`, shape: [units], dtype: "float32" },
      );
      chunks.push(l.weights, l.bias);
    }
    if (fuseRelu) i++;
  }
  return {
    modelTopology: {
      class_name: "Sequential",
      config: { name: net.name, layers },
      keras_version: "tfjs-layers 4.22.0",
      backend: "tensor_flow.js",
    },
    weightSpecs: specs,
    weightData: concatBytes(chunks),
  };
}
