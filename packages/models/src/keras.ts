// The TensorFlow.js layers format (what `model.save()` writes: model.json with a Keras
// Sequential topology and a weights manifest, plus binary shards), converted to and from the
// IR without TensorFlow.js, so a model on disk can be checked and loaded with clear errors.
import { concatBytes } from "./bytes.js";
import { ModelError } from "./errors.js";
import type { Layer } from "./layer.js";
import { Network } from "./network.js";
import type { Preprocess } from "./preprocess.js";
import { isPads, type Padding, type Pads, padsOf, type Shape } from "./shape.js";

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
  "ZeroPadding2D (before Conv2D or AveragePooling2D)",
  "RhoPool2D (rho's explicitly padded pools)",
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
  const nodes = kerasNodes(topo);
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
  let shapes: readonly Shape[] = [];
  const shapeOf = (k: number): Shape => {
    const s = shapes[k];
    if (!s) throw new Error("the first layer declares no input shape (batch_input_shape)");
    return s;
  };
  // each Keras layer's output: an activation index, or a ZeroPadding2D's pads on one
  const outputOf = new Map<string, number>();
  const padOf = new Map<string, { pads: Pads; from: number }>();
  nodes.forEach(({ kl, name: lname, inbound }, i) => {
    const c = kl.config ?? {};
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
        shapes = [inputShape];
      }
      const read = (n: string): number => {
        const k = outputOf.get(n);
        if (k === undefined)
          throw new Error(
            padOf.has(n)
              ? `reads the ZeroPadding2D "${n}" (supported only before a Conv2D or an AveragePooling2D)`
              : `reads "${n}", which is not an earlier layer`,
          );
        return k;
      };
      const joins = kl.class_name === "Add" || kl.class_name === "Concatenate";
      if (!joins && inbound.length > 1)
        throw new Error(`reads ${inbound.length} values (only Add and Concatenate join)`);
      const pad = inbound.length === 1 ? padOf.get(inbound[0] as string) : undefined;
      const padded = pad?.pads;
      const src = inbound.length === 0 ? 0 : pad ? pad.from : joins ? -1 : read(inbound[0] as string);
      if (padded && !["Conv2D", "AveragePooling2D"].includes(kl.class_name))
        throw new Error("ZeroPadding2D is supported only before a Conv2D or an AveragePooling2D");
      // what the layer's own padding and a ZeroPadding2D before it add up to
      const withZeros = (own: Padding): Padding => {
        if (!padded) return own;
        if (own !== "valid") throw new Error(`padding "${own}" after a ZeroPadding2D (only "valid")`);
        return padded;
      };
      const current = () => shapeOf(src);
      if (c.data_format !== undefined && c.data_format !== "channels_last")
        throw new Error(`data_format ${c.data_format} is not supported (channels_last only)`);
      const activation = (act: unknown) => {
        if (act === undefined || act === null || act === "linear") return;
        if (act === "relu") layers.push({ kind: "relu" });
        else if (act === "softmax" && i === nodes.length - 1)
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
        case "ZeroPadding2D": {
          // an int, (height, width) or ((top, bottom), (left, right)); Keras' default is 1
          const v = c.padding ?? 1;
          const side = (x: unknown): [number, number] => {
            const a = typeof x === "number" ? [x, x] : x;
            if (!Array.isArray(a) || a.length !== 2 || !a.every((y) => Number.isInteger(y) && y >= 0))
              throw new Error(`padding ${JSON.stringify(v)} is not non-negative integers per side`);
            return [a[0], a[1]];
          };
          const [y, x] =
            typeof v === "number" ? [v, v] : Array.isArray(v) && v.length === 2 ? v : [null, null];
          const [top, bottom] = side(y);
          const [left, right] = side(x);
          padOf.set(lname, { pads: { top, bottom, left, right }, from: src });
          break;
        }
        case "Add":
        case "Concatenate": {
          const from = inbound.map(read);
          if (kl.class_name === "Concatenate") {
            const rank = shapeOf(from[0] as number).length;
            const axis = Number(c.axis ?? -1);
            if (!(axis === -1 || axis === rank))
              throw new Error(`axis ${c.axis} (only the last: channels or features)`);
          }
          layers.push({ kind: kl.class_name === "Add" ? "add" : "concat", name: lname, inputs: from });
          break;
        }
        case RHO_POOL: {
          const mode = c.mode;
          if (mode !== "max" && mode !== "avg") throw new Error(`mode ${JSON.stringify(mode)} (max or avg)`);
          const v = c.padding as unknown;
          const ok =
            Array.isArray(v) &&
            v.length === 2 &&
            v.every(
              (a) => Array.isArray(a) && a.length === 2 && a.every((y) => Number.isInteger(y) && y >= 0),
            );
          if (!ok) throw new Error(`padding ${JSON.stringify(v)} is not [[top, bottom], [left, right]]`);
          const [[top, bottom], [left, right]] = v as [[number, number], [number, number]];
          layers.push({
            kind: mode === "max" ? "maxpool" : "avgpool",
            name: lname,
            size: pair(c.pool_size, "pool_size"),
            strides: pair(c.strides, "strides"),
            padding: { top, bottom, left, right },
          });
          break;
        }
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
            padding: withZeros(padding(c.padding)),
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
            padding: withZeros(padding(c.padding)),
            ...(padded ? { countPadding: true } : {}),
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
        // the node's first IR layer reads its input (a chain's default: the one before)
        const first = layers[before] as Layer;
        if (!first.inputs && src !== before) layers[before] = { ...first, inputs: [src] };
        // track the shapes through the IR's own shape rules
        const partial = new Network({
          inputShape: inputShape as Shape,
          layers,
          ...(preprocess ? { preprocess } : {}),
        });
        shapes = partial.shapes;
      }
      if (kl.class_name !== "ZeroPadding2D")
        outputOf.set(lname, layers.length > before ? layers.length : src);
    } catch (e) {
      if (e instanceof ModelError) throw new ModelError(`${where}: ${e.message}`);
      throw new ModelError(`${where}: ${(e as Error).message}`);
    }
  });
  const last = nodes[nodes.length - 1];
  if (last && outputOf.get(last.name) !== layers.length)
    throw new ModelError(`the model's output "${last.name}" is not its last layer's value`);
  if (!inputShape)
    throw new ModelError("the model declares no input shape (batch_input_shape on its first layer)");
  return new Network({
    ...(name ? { name } : {}),
    inputShape,
    layers,
    ...(preprocess ? { preprocess } : {}),
  });
}

export const RHO_POOL = "RhoPool2D";

interface KerasNode {
  readonly kl: KerasLayer;
  readonly name: string;
  /** The Keras layers it reads ([] for the input, or a Sequential model's first layer). */
  readonly inbound: readonly string[];
}

/**
 * A Sequential model's layers, each reading the one before, or a functional model's (tfjs'
 * "Model", Keras' "Functional", in their Keras 2 form) with what each reads; the model's one
 * output last.
 */
function kerasNodes(topo: KerasModel | undefined): KerasNode[] {
  const cls = topo?.class_name;
  if (!topo || !(cls === "Sequential" || cls === "Model" || cls === "Functional"))
    throw new ModelError(
      `only Sequential and functional (Model) models are supported, this is ${JSON.stringify(cls)}`,
    );
  const list = Array.isArray(topo.config) ? topo.config : topo.config?.layers;
  if (!Array.isArray(list)) throw new ModelError("the model's topology lists no layers");
  const nameOf = (kl: KerasLayer, i: number) =>
    String((kl as { name?: unknown }).name ?? kl.config?.name ?? `layer${i}`);
  if (cls === "Sequential")
    return list.map((kl, i) => ({
      kl,
      name: nameOf(kl, i),
      inbound: i === 0 ? [] : [nameOf(list[i - 1] as KerasLayer, i - 1)],
    }));
  const config = topo.config as { output_layers?: unknown };
  const outputs = config.output_layers as unknown[][] | undefined;
  if (!Array.isArray(outputs) || outputs.length !== 1)
    throw new ModelError(`a functional model needs one output (logits), it has ${outputs?.length ?? 0}`);
  const nodes = list.map((kl, i) => {
    const ib = (kl as { inbound_nodes?: unknown }).inbound_nodes;
    if (!Array.isArray(ib) || ib.length > 1)
      throw new ModelError(
        `layer ${i} ("${nameOf(kl, i)}"): inbound_nodes must list one call (a layer used once)`,
      );
    const call = (ib[0] ?? []) as unknown[];
    const inbound = call.map((e) => {
      if (!Array.isArray(e) || typeof e[0] !== "string")
        throw new ModelError(`layer ${i} ("${nameOf(kl, i)}"): inbound_nodes in a form other than Keras 2's`);
      return e[0];
    });
    return { kl, name: nameOf(kl, i), inbound };
  });
  const out = String((outputs[0] as unknown[])[0]);
  const at = nodes.findIndex((n) => n.name === out);
  if (at < 0) throw new ModelError(`the output layer "${out}" is not in the model`);
  if (at !== nodes.length - 1)
    throw new ModelError(`the output layer "${out}" must be the last layer listed`);
  return nodes;
}

/**
 * How TensorFlow.js can say a padding: "valid", "same" (where its "same" means what the layer's
 * pads do: always for convolutions and max-pools, for average pools only when the padding is not
 * counted), or "explicit" when it cannot.
 */
function kerasPadding(
  inShape: Shape,
  k: readonly [number, number],
  s: readonly [number, number],
  p: Padding,
  sameFits: boolean,
): Pads | "valid" | "same" {
  const [h, w] = inShape as [number, number, number];
  const pads = padsOf(p, h, w, k, s);
  if (pads.top === 0 && pads.bottom === 0 && pads.left === 0 && pads.right === 0) return "valid";
  const same = padsOf("same", h, w, k, s);
  const isSame =
    pads.top === same.top &&
    pads.bottom === same.bottom &&
    pads.left === same.left &&
    pads.right === same.right;
  return isSame && sameFits ? "same" : pads;
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
  // a chain is written as a Sequential model (as every rho model before joins); a DAG as a
  // functional one, each layer naming what it reads
  const dag = !net.chain;
  const layers: (KerasLayer & { inbound: string[] })[] = [];
  const specs: WeightSpec[] = [];
  const chunks: Float32Array[] = [];
  const used = new Set<string>(["input"]);
  const uniqueName = (base: string) => {
    let n = base;
    for (let k = 1; used.has(n); k++) n = `${base}_${k}`;
    used.add(n);
    return n;
  };
  const input = [null, ...net.inputShape];
  /** The Keras layer whose output is value k. */
  const producer: string[] = ["input"];
  for (let i = 0; i < net.layers.length; i++) {
    const l = net.layers[i] as Layer;
    const next = net.layers[i + 1];
    const fuseRelu = !dag && (l.kind === "conv2d" || l.kind === "dense") && next?.kind === "relu";
    const name = uniqueName(l.name ?? `${l.kind}_${i}`);
    const config: Record<string, unknown> = { name, trainable: true, dtype: "float32" };
    let inbound = (net.inputs[i] as readonly number[]).map((k) => producer[k] as string);
    const zeroPadding = (p: Pads) => {
      const pad = uniqueName(`${name}_pad`);
      layers.push({
        class_name: "ZeroPadding2D",
        config: {
          name: pad,
          trainable: true,
          dtype: "float32",
          padding: [
            [p.top, p.bottom],
            [p.left, p.right],
          ],
          data_format: "channels_last",
        },
        inbound,
      });
      inbound = [pad];
    };
    let cls: string;
    // explicit pads TensorFlow.js cannot name: zeros in front (a convolution, an average that
    // counts the padding), or rho's own padded pool
    const inShape = net.inShapes[i] as Shape;
    switch (l.kind) {
      case "conv2d": {
        cls = "Conv2D";
        const p = kerasPadding(inShape, l.kernel, l.strides, l.padding, true);
        if (isPads(p)) zeroPadding(p);
        Object.assign(config, {
          filters: l.filters,
          kernel_size: [...l.kernel],
          strides: [...l.strides],
          padding: isPads(p) ? "valid" : p,
          data_format: "channels_last",
          dilation_rate: [1, 1],
          activation: fuseRelu ? "relu" : "linear",
          use_bias: true,
        });
        break;
      }
      case "dense":
        cls = "Dense";
        Object.assign(config, { units: l.units, activation: fuseRelu ? "relu" : "linear", use_bias: true });
        break;
      case "maxpool":
      case "avgpool": {
        const counts = l.kind === "avgpool" && l.countPadding === true;
        const p = kerasPadding(inShape, l.size, l.strides, l.padding, !counts);
        if (isPads(p) && counts) zeroPadding(p);
        if (isPads(p) && !counts) {
          cls = RHO_POOL;
          Object.assign(config, {
            mode: l.kind === "maxpool" ? "max" : "avg",
            pool_size: [...l.size],
            strides: [...l.strides],
            padding: [
              [p.top, p.bottom],
              [p.left, p.right],
            ],
          });
          break;
        }
        cls = l.kind === "maxpool" ? "MaxPooling2D" : "AveragePooling2D";
        Object.assign(config, {
          pool_size: [...l.size],
          strides: [...l.strides],
          padding: isPads(p) ? "valid" : p,
          data_format: "channels_last",
        });
        break;
      }
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
      case "add":
        cls = "Add";
        break;
      case "concat":
        cls = "Concatenate";
        config.axis = -1;
        break;
    }
    layers.push({ class_name: cls, config, inbound });
    if (l.kind === "conv2d" || l.kind === "dense") {
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
    producer.push(name);
    if (fuseRelu) {
      producer.push(name);
      i++;
    }
  }
  const info = { keras_version: "tfjs-layers 4.22.0", backend: "tensor_flow.js" };
  const weights = { weightSpecs: specs, weightData: concatBytes(chunks) };
  if (!dag) {
    // Sequential: the first layer declares the input
    (layers[0] as KerasLayer).config.batch_input_shape = input;
    return {
      modelTopology: {
        class_name: "Sequential",
        config: { name: net.name, layers: layers.map(({ class_name, config }) => ({ class_name, config })) },
        ...info,
      },
      ...weights,
    };
  }
  const node = (kl: KerasLayer, inbound: readonly string[]) => ({
    ...kl,
    name: kl.config.name,
    inbound_nodes: inbound.length ? [inbound.map((n) => [n, 0, 0, {}])] : [],
  });
  const all = [
    node(
      {
        class_name: "InputLayer",
        config: { name: "input", batch_input_shape: input, dtype: "float32", sparse: false },
      },
      [],
    ),
    ...layers.map(({ class_name, config, inbound }) => node({ class_name, config }, inbound)),
  ];
  return {
    modelTopology: {
      class_name: "Model",
      config: {
        name: net.name,
        layers: all,
        input_layers: [["input", 0, 0]],
        output_layers: [[producer[producer.length - 1] as string, 0, 0]],
      } as unknown as KerasModel["config"],
      ...info,
    },
    ...weights,
  };
}
