// ONNX graph → rho's network IR. The graph is walked in its (topological) order; every computed
// value maps to an activation of the IR (a DAG: residual Adds and Concats read several);
// constants (initializers, Constant nodes, and what folds from them) are evaluated on the way. PyTorch's NCHW becomes rho's channels-last layout: conv kernels
// are transposed to HWIO, and a dense layer fed by a flattened image gets its input rows permuted
// so that it sees its inputs in the order it was trained on (PyTorch flattens C, H, W).
import { ModelError } from "../errors.js";
import type { Layer } from "../layer.js";
import { Network } from "../network.js";
import type { Preprocess } from "../preprocess.js";
import { type Padding, padsOf, type Shape, window } from "../shape.js";
import { Attributes, inputDims, type ModelProto, type NodeProto, readTensor, type Tensor } from "./proto.js";

export const SUPPORTED_ONNX_OPS = [
  "Conv",
  "Relu",
  "MaxPool",
  "AveragePool",
  "GlobalAveragePool",
  "ReduceMean (over H, W)",
  "Gemm",
  "MatMul",
  "Add (also of two computed values: residual)",
  "Concat (of computed values: channels or features)",
  "Sub",
  "Mul",
  "Div",
  "Flatten",
  "Reshape",
  "Transpose",
  "Identity",
  "Dropout",
  "Pad (zero)",
  "BatchNormalization (folded)",
  "Shape, Gather, Unsqueeze, Squeeze, Concat, Slice, Cast, ConstantOfShape (on shapes, folded)",
  "Softmax",
  "LogSoftmax",
  "Constant",
] as const;

/** The activation as PyTorch sees it: an image [C, H, W] or a vector [K]. */
type Logical =
  | { readonly kind: "image"; readonly c: number; readonly h: number; readonly w: number }
  | {
      readonly kind: "vector";
      readonly k: number;
      /** rho's index of PyTorch's element p (a flattened image); undefined: the same order. */
      readonly order?: Int32Array;
    };

type Vector = Extract<Logical, { kind: "vector" }>;

class Unsupported extends Error {}

const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

/** Expands the ONNX model's local functions in place of the nodes that call them. */
function inlineFunctions(model: ModelProto, nodes: readonly NodeProto[], depth = 0): NodeProto[] {
  const fns = model.functions ?? [];
  if (fns.length === 0 || depth > 16) return [...nodes];
  const out: NodeProto[] = [];
  nodes.forEach((node, n) => {
    const fn = fns.find((f) => f.name === node.opType && (f.domain ?? "") === (node.domain ?? ""));
    if (!fn) {
      out.push(node);
      return;
    }
    // rename the function's values: formal parameters to the call's, internals made unique
    const rename = new Map<string, string>([
      ...(fn.input ?? []).map((v, i): [string, string] => [v, node.input?.[i] ?? ""]),
      ...(fn.output ?? []).map((v, i): [string, string] => [v, node.output?.[i] ?? ""]),
    ]);
    const map = (v: string) => rename.get(v) ?? (v === "" ? "" : `${node.name || `call${depth}.${n}`}/${v}`);
    const body = (fn.node ?? []).map((b) => ({
      ...b,
      input: (b.input ?? []).map(map),
      output: (b.output ?? []).map(map),
    }));
    out.push(...inlineFunctions(model, body, depth + 1));
  });
  return out;
}

/** A conv/pool's padding in rho's terms: none, TensorFlow's "same" (SAME_UPPER) or explicit pads. */
function padding(
  a: Attributes,
  h: number,
  w: number,
  k: readonly [number, number],
  s: readonly [number, number],
  zeroPad?: readonly number[],
): Padding {
  const auto = a.string("auto_pad", "NOTSET");
  if (zeroPad && (auto !== "NOTSET" || (a.ints("pads") ?? []).some((p) => p !== 0)))
    throw new Unsupported("padding both by a Pad node and by the op itself");
  if (auto === "VALID") return "valid";
  if (auto === "SAME_UPPER") return "same";
  if (auto === "SAME_LOWER") {
    // the larger half first: TensorFlow's "same" mirrored
    const p = padsOf("same", h, w, k, s);
    return { top: p.bottom, bottom: p.top, left: p.right, right: p.left };
  }
  if (auto !== "NOTSET")
    throw new Unsupported(`auto_pad ${auto} (supported: NOTSET, VALID, SAME_UPPER, SAME_LOWER)`);
  const pads = zeroPad ?? a.ints("pads") ?? [0, 0, 0, 0];
  if (pads.length !== 4 || !pads.every((p) => Number.isInteger(p) && p >= 0))
    throw new Unsupported(`pads [${pads}] (2-D, non-negative)`);
  if (pads.every((p) => p === 0)) return "valid";
  // ONNX orders pads [top, left, bottom, right]
  return {
    top: pads[0] as number,
    left: pads[1] as number,
    bottom: pads[2] as number,
    right: pads[3] as number,
  };
}

function pair(a: Attributes, name: string, dflt: number): [number, number] {
  const v = a.ints(name) ?? [dflt, dflt];
  if (v.length !== 2) throw new Unsupported(`${name} [${v}] (2-D only)`);
  return [v[0] as number, v[1] as number];
}

/**
 * Converts a decoded ONNX model. `preprocess` maps 0–255 pixels to the model's input (default
 * pixel/255); arithmetic by constants at the input (a Normalize inside the model) is folded into it.
 */
const importNotes = new WeakMap<Network, readonly string[]>();
/** The nodes an ONNX import folded away (batch norms into their layers, shape arithmetic), for model cards. */
export const foldedOnImport = (net: Network): readonly string[] => importNotes.get(net) ?? [];
const inputLayouts = new WeakMap<Network, InputLayout>();
/**
 * How an imported network's ONNX input holds its image (undefined: a flat input, or not from
 * ONNX): the order of the graph's own input tensor, which VNN-LIB's X_i index.
 */
export const onnxInputLayout = (net: Network): InputLayout | undefined => inputLayouts.get(net);

/** How a 4-D input holds an image: PyTorch's [N, C, H, W] or TensorFlow's [N, H, W, C]. */
export type InputLayout = "nchw" | "nhwc";

export function fromOnnx(
  model: ModelProto,
  dir: string,
  file: string,
  preprocess?: Preprocess,
  output?: string,
  inputLayout?: InputLayout,
): Network {
  const graph = model.graph;
  if (!graph) throw new ModelError(`${file}: no graph`);
  // the logits: the graph's one output, or the one named (never a guess among several)
  const declared = (graph.output ?? []).map((o) => o.name ?? "");
  if (output !== undefined && !declared.includes(output))
    throw new ModelError(`${file}: the graph has no output "${output}"; its outputs: ${declared.join(", ")}`);
  if (output === undefined && declared.length !== 1)
    throw new ModelError(
      `${file}: the graph has ${declared.length} outputs (${declared.join(", ")}); name the logits with --output NAME`,
    );
  const outputs = [output ?? (declared[0] as string)];
  const consts = new Map<string, Tensor>();
  for (const t of graph.initializer ?? []) consts.set(t.name ?? "", readTensor(t, dir, file));
  const realInputs = (graph.input ?? []).filter((i) => !consts.has(i.name ?? ""));
  if (realInputs.length !== 1)
    throw new ModelError(
      `${file}: the graph has ${realInputs.length} inputs besides its weights; rho needs one`,
    );
  const inputName = realInputs[0]?.name ?? "";
  const dims = inputDims(model, inputName);
  if (!dims || !(dims.length === 4 || dims.length === 2 || (dims.length === 3 && dims[2] === 1)))
    throw new ModelError(
      `${file}: input "${inputName}" must be [N, C, H, W], [N, H, W, C], [N, K] or [N, K, 1], got [${dims ?? "?"}]`,
    );
  if (dims.slice(1).some((d) => d === null))
    throw new ModelError(
      `${file}: input "${inputName}" has a dynamic dimension other than the batch: [${dims.map((d) => d ?? "?")}]`,
    );
  const d = dims as number[];
  const nodes = inlineFunctions(model, graph.node ?? []);
  const layout = d.length === 4 ? imageLayout(nodes, inputName, consts, d, file, inputLayout) : undefined;
  // the activation is an NHWC image until a Transpose makes it NCHW (or it is flattened)
  const input0: Logical =
    layout === "nhwc"
      ? { kind: "image", c: d[3] as number, h: d[1] as number, w: d[2] as number }
      : layout === "nchw"
        ? { kind: "image", c: d[1] as number, h: d[2] as number, w: d[3] as number }
        : { kind: "vector", k: d[1] as number };
  const inputShape: Shape = input0.kind === "image" ? [input0.h, input0.w, input0.c] : [input0.k];
  const channels = input0.kind === "image" ? input0.c : 1;
  const scale = preprocess ? [...preprocess.scale] : new Array<number>(channels).fill(1 / 255);
  const shift = preprocess ? [...preprocess.shift] : new Array<number>(channels).fill(0);
  if (scale.length !== channels || shift.length !== channels)
    throw new ModelError(
      `${file}: the preprocessing has ${scale.length} channels, the model's input ${channels}`,
    );

  const layers: Layer[] = [];
  /** What the import folded away (batch norms, shape arithmetic), for the model card. */
  const folded: string[] = [];
  /**
   * Every computed value: the activation that holds it (0: the input, k: layer k − 1's output),
   * its logical shape, whether it is still the NHWC input, and a zero Pad's [top, left, bottom,
   * right] kept for the Conv or AveragePool that reads it.
   */
  const values = new Map<string, Value>([[inputName, { index: 0, act: input0, nhwc: layout === "nhwc" }]]);
  // how many nodes read each value: an op folds into its input's layer only as its one reader
  const readers = new Map<string, number>();
  for (const node of nodes)
    for (const v of new Set(node.input ?? [])) readers.set(v, (readers.get(v) ?? 0) + 1);
  for (const o of outputs) readers.set(o, (readers.get(o) ?? 0) + 1);
  let finished = false; // a final Softmax was dropped
  // layer names as TensorFlow.js accepts them (no leading "/", unique), from the ONNX node names
  const used = new Set<string>();
  const layerName = (raw: string, n: number) => {
    let name = raw.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^[^A-Za-z0-9]+/, "") || `node${n}`;
    if (used.has(name)) name = `${name}_${n}`;
    used.add(name);
    return name;
  };

  nodes.forEach((node, n) => {
    const op = node.opType ?? "";
    const ins = node.input ?? [];
    const out = node.output?.[0] ?? "";
    const where = `node ${n} "${node.name || out}" (${op})`;
    const name = layerName(node.name || out, n);
    const a = new Attributes(node);
    const constant = (i: number) => consts.get(ins[i] ?? "");
    try {
      if (op === "Constant") {
        const t = a.tensor("value");
        if (!t) throw new Unsupported("a Constant without a tensor value");
        consts.set(out, readTensor(t, dir, file));
        return;
      }
      // nodes on constants only are evaluated (weights transposed for MatMul, shapes for Reshape)
      if (ins.filter(Boolean).every((v) => consts.has(v))) {
        consts.set(
          out,
          foldConstant(
            op,
            a,
            ins.map((v) => consts.get(v) as Tensor),
            (t) => readTensor(t, dir, file),
          ),
        );
        return;
      }
      if (op === "Shape") {
        // a value's shape, as PyTorch's x.view(x.size(0), -1) reads it: folded to a constant
        // whose batch entry is NaN (symbolic), which Gather/Concat carry and Reshape accepts
        const shaped = values.get(ins[0] ?? "");
        if (!shaped) throw new Unsupported(`Shape of "${ins[0]}", which is not a computed value`);
        const { act, nhwc } = shaped;
        const full =
          act.kind === "vector"
            ? [Number.NaN, act.k]
            : nhwc
              ? [Number.NaN, act.h, act.w, act.c]
              : [Number.NaN, act.c, act.h, act.w];
        const rank = full.length;
        const at = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
        const shape = full.slice(at(a.int("start", 0)), a.has("end") ? at(a.int("end", rank)) : rank);
        consts.set(out, { dims: [shape.length], data: Float64Array.from(shape) });
        folded.push(`${op} "${node.name || out}"`);
        return;
      }
      if (finished) throw new Unsupported("it comes after the final Softmax");
      const computed = ins.filter((v) => values.has(v));
      if (computed.length === 0)
        throw new Unsupported(`it reads none of the graph's computed values (${ins.join(", ")})`);
      if (computed.length > 1 && !(op === "Add" || op === "Concat"))
        throw new Unsupported(`it reads ${computed.length} computed values (only Add and Concat join)`);
      const current = computed[0] as string;
      const source = values.get(current) as Value;
      const src = source.index;
      let { act, nhwc } = source;
      /** The one reader of the network's input: arithmetic here folds into the preprocessing. */
      let atInput = src === 0 && readers.get(current) === 1;
      /** The affine layer this op's input comes from, when the op is its one reader (to fold into). */
      let producer = src > 0 && readers.get(current) === 1 ? layers[src - 1] : undefined;
      let padded = source.pad;
      let pad: number[] | undefined;
      const before = layers.length;
      if (padded && op !== "Conv" && op !== "AveragePool") {
        // zeros a Conv or AveragePool does not take as its padding (before a MaxPool, say, where
        // padding means −∞): an identity 1×1 convolution with those pads writes them
        if (act.kind !== "image") throw new Unsupported("Pad of a flat value");
        const c = act.c;
        const identity = new Float32Array(c * c);
        for (let k = 0; k < c; k++) identity[k * c + k] = 1;
        const [top, left, bottom, right] = padded as [number, number, number, number];
        layers.push({
          kind: "conv2d",
          name: layerName(`${name}_zeros`, n),
          filters: c,
          kernel: [1, 1],
          strides: [1, 1],
          padding: { top, bottom, left, right },
          weights: identity,
          bias: new Float32Array(c),
          inputs: [src],
        });
        act = { ...act, h: act.h + top + bottom, w: act.w + left + right };
        padded = undefined;
        atInput = false;
        producer = undefined;
      }
      /**
       * y = mul·x + add per unit (channel of an image, element of a vector in rho's order): folded
       * into the preprocessing at the input (where it is per channel), into the Conv or Gemm
       * before it (its one reader), else a diagonal 1×1 convolution or dense layer.
       */
      const scaleShift = (mul: Float64Array, add: Float64Array) => {
        const uniform = mul.every((v) => v === mul[0]) && add.every((v) => v === add[0]);
        const last = producer;
        if (atInput && (act.kind === "image" || uniform)) {
          for (let c = 0; c < channels; c++) {
            const m = mul[act.kind === "image" ? c : 0] as number;
            scale[c] = (scale[c] as number) * m;
            shift[c] = (shift[c] as number) * m + (add[act.kind === "image" ? c : 0] as number);
          }
        } else if (last?.kind === "conv2d" || last?.kind === "dense") {
          const units = last.kind === "dense" ? last.units : last.filters;
          // HWIO (conv) and input-major (dense): the output index runs fastest
          const weights = Float32Array.from(last.weights, (w, i) => w * (mul[i % units] as number));
          const bias = Float32Array.from(last.bias, (b, u) => b * (mul[u] as number) + (add[u] as number));
          layers[src - 1] = { ...last, weights, bias };
        } else {
          const n = mul.length;
          const diag = new Float32Array(n * n);
          for (let u = 0; u < n; u++) diag[u * n + u] = mul[u] as number;
          layers.push(
            act.kind === "image"
              ? {
                  kind: "conv2d",
                  name,
                  filters: n,
                  kernel: [1, 1],
                  strides: [1, 1],
                  padding: "valid",
                  weights: diag,
                  bias: Float32Array.from(add),
                }
              : { kind: "dense", name, units: n, weights: diag, bias: Float32Array.from(add) },
          );
          return;
        }
        folded.push(`${op} "${node.name || out}"`);
      };
      switch (op) {
        case "Identity":
        case "Dropout":
          break;
        case "Pad": {
          // The TorchScript exporter writes AvgPool2d(count_include_pad=True) as a zero Pad and an
          // unpadded AveragePool: the Pad is kept for the next Conv or AveragePool, where zeros
          // are what padding means (counted by the average).
          const pads = Array.from((ins[1] ? constant(1)?.data : a.ints("pads")) ?? [Number.NaN]);
          const value = ins[2] ? constant(2)?.data[0] : a.float("value", 0);
          if (pads.some((p) => !Number.isInteger(p))) throw new Unsupported("Pad by computed amounts");
          if (pads.every((p) => p === 0)) break;
          if (a.string("mode", "constant") !== "constant" || value !== 0)
            throw new Unsupported("Pad other than by zeros");
          if (act.kind !== "image" || pads.length !== 8 || [0, 1, 4, 5].some((i) => pads[i] !== 0))
            throw new Unsupported(`pads [${pads}] (only height and width of an image)`);
          pad = [pads[2], pads[3], pads[6], pads[7]] as number[];
          break;
        }
        case "Softmax":
        case "LogSoftmax":
          if (!outputs.includes(out)) throw new Unsupported(`${op} is only supported as the graph's output`);
          finished = true;
          break;
        case "Relu":
          layers.push({ kind: "relu", name });
          break;
        case "BatchNormalization": {
          // inference: y = γ (x − μ) / √(σ² + ε) + β per channel, folded into the affine layer just
          // before it (a Conv's filters, a Gemm's units) or into the preprocessing at the input
          if (a.int("training_mode", 0) !== 0) throw new Unsupported("training_mode 1");
          const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => constant(i));
          if (!gamma || !beta || !mean || !variance)
            throw new Unsupported("statistics that are not constants");
          const eps = a.float("epsilon", 1e-5);
          const n = act.kind === "image" ? act.c : act.k;
          if ([gamma, beta, mean, variance].some((t) => t.data.length !== n))
            throw new Unsupported(`statistics for ${gamma.data.length} channels on ${n}`);
          const mul = Float64Array.from(
            gamma.data,
            (g, c) => g / Math.sqrt((variance.data[c] as number) + eps),
          );
          const add = Float64Array.from(
            beta.data,
            (b, c) => b - (mul[c] as number) * (mean.data[c] as number),
          );
          scaleShift(rhoOrder(mul, act), rhoOrder(add, act));
          break;
        }
        case "Add":
        case "Sub":
        case "Mul":
        case "Div": {
          if (computed.length > 1) {
            // a residual connection: the sum of two computed values of one shape and layout
            const parts = computed.map((v) => values.get(v) as Value);
            const same = (x: Value) =>
              showLogical(x.act) === showLogical(act) &&
              x.act.kind === act.kind &&
              x.nhwc === nhwc &&
              sameOrder(x.act, act);
            if (!parts.every(same))
              throw new Unsupported(
                `Add of values of different shapes or layouts (${parts.map((x) => showLogical(x.act)).join(", ")})`,
              );
            if (parts.some((x) => x.pad)) throw new Unsupported("Add of a Pad's output");
            layers.push({ kind: "add", name, inputs: parts.map((x) => x.index) });
            break;
          }
          const other = ins[0] === current ? constant(1) : constant(0);
          if (!other) throw new Unsupported(`${op} of two computed values`);
          if ((op === "Sub" || op === "Div") && ins[0] !== current)
            throw new Unsupported(`${op} with the activation as its second operand`);
          const per = perUnit(other, act, nhwc);
          const n = per.length;
          if (op === "Add" || op === "Sub")
            scaleShift(
              new Float64Array(n).fill(1),
              per.map((v) => (op === "Add" ? v : -v)),
            );
          else
            scaleShift(
              per.map((v) => (op === "Mul" ? v : 1 / v)),
              new Float64Array(n),
            );
          break;
        }
        case "Conv": {
          if (act.kind !== "image") throw new Unsupported("Conv on a flat input");
          if (nhwc) throw new Unsupported("Conv on the NHWC input (ONNX convolutions read NCHW)");
          const W = constant(1);
          if (!W || W.dims.length !== 4)
            throw new Unsupported("Conv weights must be a constant [F, C, kh, kw]");
          // groups (depthwise convolutions) and dilations become one dense kernel: zeros between
          // the groups' channels and between the dilated taps (the same map, a larger kernel)
          const groups = a.int("group", 1);
          const [dh, dw] = pair(a, "dilations", 1);
          if (!(dh >= 1 && dw >= 1)) throw new Unsupported(`dilations [${dh},${dw}]`);
          const [F, Cg, kh0, kw0] = W.dims as [number, number, number, number];
          const C = Cg * groups;
          if (!(groups >= 1 && F % groups === 0)) throw new Unsupported(`group ${groups} with ${F} filters`);
          if (C !== act.c)
            throw new Unsupported(
              `weights for ${C} channels (${groups} groups of ${Cg}) on a ${act.c}-channel input`,
            );
          const kh = dh * (kh0 - 1) + 1;
          const kw = dw * (kw0 - 1) + 1;
          if (kh * kw * C * F > 1 << 26)
            throw new Unsupported(`a ${kh}×${kw} kernel on ${C} channels: too large once expanded`);
          const strides = pair(a, "strides", 1);
          const pad = padding(a, act.h, act.w, [kh, kw], strides, padded);
          const weights = new Float32Array(kh * kw * C * F);
          const perGroup = F / groups;
          for (let f = 0; f < F; f++) {
            const g = Math.floor(f / perGroup);
            for (let cg = 0; cg < Cg; cg++) {
              const c = g * Cg + cg;
              for (let i = 0; i < kh0; i++)
                for (let j = 0; j < kw0; j++)
                  weights[((i * dh * kw + j * dw) * C + c) * F + f] = W.data[
                    ((f * Cg + cg) * kh0 + i) * kw0 + j
                  ] as number;
            }
          }
          const B = ins[2] ? constant(2) : undefined;
          if (ins[2] && !B) throw new Unsupported("Conv bias must be a constant");
          layers.push({
            kind: "conv2d",
            name,
            filters: F,
            kernel: [kh, kw],
            strides,
            padding: pad,
            weights,
            bias: B ? Float32Array.from(B.data) : new Float32Array(F),
          });
          const ho = window(act.h, kh, strides[0], pad, 0).out;
          const wo = window(act.w, kw, strides[1], pad, 1).out;
          act = { kind: "image", c: F, h: ho, w: wo };
          break;
        }
        case "MaxPool":
        case "AveragePool": {
          if (act.kind !== "image") throw new Unsupported(`${op} on a flat input`);
          if (nhwc) throw new Unsupported(`${op} on the NHWC input (ONNX pools read NCHW)`);
          const size = pair(a, "kernel_shape", 1);
          const strides = pair(a, "strides", 1);
          if ((a.ints("dilations") ?? [1, 1]).some((v) => v !== 1))
            throw new Unsupported("dilations other than 1");
          if (a.int("storage_order", 0) !== 0) throw new Unsupported("storage_order 1");
          let pad = padding(a, act.h, act.w, size, strides, padded);
          if (a.int("ceil_mode", 0) === 1) {
            // ceil_mode adds a last window where the floor leaves cells out, if it starts inside
            // the input or its leading pad: for a max-pool, that is more −∞ padding at the end
            const p = padsOf(pad, act.h, act.w, size, strides);
            const extra = (n: number, k: number, st: number, before: number, after: number) => {
              let out = Math.ceil((n + before + after - k) / st) + 1;
              if ((out - 1) * st >= n + before) out--;
              return Math.max(0, (out - 1) * st + k - n - before - after);
            };
            const dh = extra(act.h, size[0], strides[0], p.top, p.bottom);
            const dw = extra(act.w, size[1], strides[1], p.left, p.right);
            if (dh > 0 || dw > 0) {
              if (op === "AveragePool") throw new Unsupported("ceil_mode 1 where it adds windows");
              pad = { ...p, bottom: p.bottom + dh, right: p.right + dw };
            }
          }
          const ho = window(act.h, size[0], strides[0], pad, 0).out;
          const wo = window(act.w, size[1], strides[1], pad, 1).out;
          // a Pad node's zeros, or count_include_pad, count in the average
          const counts =
            op === "AveragePool" &&
            pad !== "valid" &&
            (padded !== undefined || a.int("count_include_pad", 0) === 1);
          layers.push({
            kind: op === "MaxPool" ? "maxpool" : "avgpool",
            name,
            size,
            strides,
            padding: pad,
            ...(counts ? { countPadding: true } : {}),
          });
          act = { kind: "image", c: act.c, h: ho, w: wo };
          break;
        }
        case "ReduceMean":
        case "GlobalAveragePool":
          if (act.kind !== "image") throw new Unsupported(`${op} on a flat input`);
          if (nhwc) throw new Unsupported(`${op} on the NHWC input`);
          if (op === "ReduceMean") {
            // the mean over height and width is a global average pool (axes from opset 18 on an input)
            const axes = Array.from((ins[1] ? constant(1)?.data : a.ints("axes")) ?? []).map(
              (x) => (x + 4) % 4,
            );
            if (axes.length !== 2 || !axes.includes(2) || !axes.includes(3))
              throw new Unsupported(`axes [${axes}] (only the mean over height and width, [2, 3])`);
          }
          layers.push({ kind: "globalavgpool", name });
          // rho's global pool gives a vector; PyTorch's [C, 1, 1] flattens to the same order
          act = { kind: "vector", k: act.c };
          break;
        case "Flatten":
        case "Reshape": {
          if (op === "Flatten" && a.int("axis", 1) !== 1)
            throw new Unsupported(`axis ${a.int("axis", 1)} (only 1)`);
          if (op === "Reshape") {
            const shape = constant(1);
            if (!shape) throw new Unsupported("Reshape to a computed shape");
            const target = Array.from(shape.data);
            const k = act.kind === "image" ? act.c * act.h * act.w : act.k;
            const ok =
              target.length === 2 &&
              (target[0] === -1 || target[0] === 1 || target[0] === 0 || Number.isNaN(target[0])) &&
              (target[1] === -1 || target[1] === k);
            if (!ok)
              throw new Unsupported(`Reshape to [${target}] (supported: flattening to [N, -1] or [N, ${k}])`);
          }
          act = flatten(act, layers, name, nhwc);
          nhwc = false;
          break;
        }
        case "Transpose": {
          const perm = a.ints("perm") ?? [];
          if (nhwc) {
            // the NHWC input made NCHW (tf2onnx's export): rho's own channels-last layout already
            if (perm.join() !== "0,3,1,2")
              throw new Unsupported(`perm [${perm}] on the NHWC input (supported: [0,3,1,2], to NCHW)`);
            nhwc = false;
            break;
          }
          // only a layout change: the axes longer than 1 keep their order (a pooled [N, C, 1, 1]
          // moved to [N, 1, 1, C], say), so the data, flattened, is the same
          const dims =
            act.kind === "image"
              ? [1, act.c, act.h, act.w]
              : [1, act.k, ...new Array<number>(Math.max(0, perm.length - 2)).fill(1)];
          const long = perm.filter((p) => (dims[p] ?? 1) > 1);
          const layoutOnly =
            perm.length === dims.length &&
            long.every((p, i) => i === 0 || p > (long[i - 1] as number)) &&
            (act.kind === "vector" || perm.every((p, i) => p === i));
          if (!layoutOnly) throw new Unsupported(`perm [${perm}] changes the data, not only its layout`);
          break;
        }
        case "Concat": {
          // branches joined along channels (NCHW axis 1, NHWC axis 3) or features (axis 1)
          const parts = computed.map((v) => values.get(v) as Value);
          if (computed.length !== ins.filter(Boolean).length)
            throw new Unsupported("Concat of a computed value and a constant");
          const axis = a.int("axis", 1);
          const rank = act.kind === "image" ? 4 : 2;
          const along = axis < 0 ? axis + rank : axis;
          const first = act;
          const ok =
            parts.every((x) => x.act.kind === first.kind && x.nhwc === nhwc && !x.pad) &&
            (first.kind === "image"
              ? along === (nhwc ? 3 : 1) &&
                parts.every((x) => x.act.kind === "image" && x.act.h === first.h && x.act.w === first.w)
              : along === 1 && parts.every((x) => x.act.kind === "vector" && !x.act.order));
          if (!ok)
            throw new Unsupported(
              `Concat along axis ${axis} of ${parts.map((x) => showLogical(x.act)).join(", ")} (supported: channels of images of one size, or features of vectors)`,
            );
          layers.push({ kind: "concat", name, inputs: parts.map((x) => x.index) });
          act =
            act.kind === "image"
              ? { ...act, c: parts.reduce((n, x) => n + (x.act.kind === "image" ? x.act.c : 0), 0) }
              : { kind: "vector", k: parts.reduce((n, x) => n + (x.act.kind === "vector" ? x.act.k : 0), 0) };
          break;
        }
        case "Gemm":
        case "MatMul": {
          if (op === "Gemm" && a.int("transA", 0) !== 0) throw new Unsupported("transA 1");
          if (act.kind === "image" && !(act.h === 1 && act.w === 1))
            throw new Unsupported(`${op} on an unflattened image`);
          const vec = flatten(act, layers, layerName(`${name}_flatten`, n), nhwc);
          nhwc = false;
          const B = constant(1);
          if (!B || B.dims.length !== 2) throw new Unsupported(`${op} weights must be a constant matrix`);
          const transB = op === "Gemm" && a.int("transB", 0) === 1;
          const [rowsB, colsB] = B.dims as [number, number];
          const inputs = transB ? colsB : rowsB;
          const units = transB ? rowsB : colsB;
          if (inputs !== vec.k) throw new Unsupported(`weights for ${inputs} inputs on ${vec.k}`);
          const alpha = op === "Gemm" ? a.float("alpha", 1) : 1;
          const beta = op === "Gemm" ? a.float("beta", 1) : 1;
          const order = vec.order;
          const weights = new Float32Array(inputs * units);
          for (let p = 0; p < inputs; p++) {
            const r = order ? (order[p] as number) : p;
            for (let u = 0; u < units; u++)
              weights[r * units + u] = alpha * (B.data[transB ? u * inputs + p : p * units + u] as number);
          }
          const C = op === "Gemm" && ins[2] ? constant(2) : undefined;
          if (op === "Gemm" && ins[2] && !C) throw new Unsupported("Gemm's C must be a constant");
          const bias = C ? broadcastBias(C, units).map((v) => beta * v) : new Float64Array(units);
          layers.push({
            kind: "dense",
            name,
            units,
            weights,
            bias: Float32Array.from(bias),
          });
          act = { kind: "vector", k: units };
          break;
        }
        default:
          throw new Unsupported("unsupported op");
      }
      if (layers.length > before) {
        // the op's first layer reads its input (a chain's default: the layer before)
        const first = layers[before] as Layer;
        if (!first.inputs && src !== before) layers[before] = { ...first, inputs: [src] };
      }
      values.set(out, {
        index: layers.length > before ? layers.length : src,
        act,
        nhwc,
        ...(pad ? { pad } : {}),
      });
    } catch (e) {
      if (e instanceof Unsupported || e instanceof ModelError) {
        const detail = e instanceof Unsupported && e.message === "unsupported op" ? "" : `: ${e.message}`;
        throw new ModelError(
          `${file}: ${where}${detail || " is not supported"}; supported ops: ${SUPPORTED_ONNX_OPS.join(", ")}`,
        );
      }
      throw e;
    }
  });
  const result = values.get(outputs[0] as string);
  if (!result)
    throw new ModelError(`${file}: the graph's output "${outputs[0]}" is not computed from its input`);
  if (result.index !== layers.length)
    throw new ModelError(
      `${file}: the graph's output "${outputs[0]}" is not its last layer's value (other values are computed after it)`,
    );
  if (layers.length === 0) throw new ModelError(`${file}: the graph has no layers`);
  const net = new Network({
    name: graph.name || "onnx",
    inputShape,
    preprocess: { scale, shift },
    layers,
  });
  importNotes.set(net, folded);
  if (layout) inputLayouts.set(net, layout);
  return net;
}

interface Value {
  readonly index: number;
  readonly act: Logical;
  readonly nhwc: boolean;
  readonly pad?: readonly number[];
}

const showLogical = (a: Logical) => (a.kind === "image" ? `${a.c}×${a.h}×${a.w}` : `${a.k}`);

/** Whether two vectors list PyTorch's elements in the same rho order. */
function sameOrder(a: Logical, b: Logical): boolean {
  const x = a.kind === "vector" ? a.order : undefined;
  const y = b.kind === "vector" ? b.order : undefined;
  if (!x || !y) return x === y;
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Ops that read a 4-D tensor as NCHW. */
const NCHW_READERS = new Set([
  "Conv",
  "MaxPool",
  "AveragePool",
  "GlobalAveragePool",
  "ReduceMean",
  "Pad",
  "BatchNormalization",
]);
/** Ops between the input and its first reader that do not tell the layout. */
const LAYOUT_FREE = new Set(["Identity", "Dropout", "Add", "Sub", "Mul", "Div"]);

/**
 * How the 4-D input holds its image, from the graph: NCHW when the first op that reads it is a
 * convolution or pool, NHWC when it is a Transpose to NCHW (tf2onnx's export). A Flatten, Reshape
 * or MatMul first cannot tell, and the two readings feed the network different pixels unless the
 * second dimension is 1: then `given` (--input-layout) must say; rho never guesses.
 */
function imageLayout(
  nodes: readonly NodeProto[],
  input: string,
  consts: ReadonlyMap<string, Tensor>,
  d: readonly number[],
  file: string,
  given?: InputLayout,
): InputLayout {
  const known = new Set(consts.keys());
  let current = input;
  let inferred: InputLayout | undefined;
  let reader = "";
  for (const node of nodes) {
    const ins = (node.input ?? []).filter(Boolean);
    const out = node.output?.[0] ?? "";
    if (node.opType === "Constant" || ins.every((v) => known.has(v))) {
      known.add(out);
      continue;
    }
    if (!ins.includes(current) || node.opType === "Shape") continue; // a Shape reads no values
    const op = node.opType ?? "";
    if (LAYOUT_FREE.has(op)) {
      current = out;
      continue;
    }
    reader = `${op} "${node.name || out}"`;
    if (NCHW_READERS.has(op)) inferred = "nchw";
    else if (op === "Transpose" && new Attributes(node).ints("perm")?.join() === "0,3,1,2") inferred = "nhwc";
    break;
  }
  const shown = `[${d.map((x, i) => (i === 0 ? "N" : x)).join(",")}]`;
  if (given && inferred && given !== inferred)
    throw new ModelError(
      `${file}: --input-layout ${given} contradicts the graph: its first ${reader} reads the input as ${inferred.toUpperCase()}`,
    );
  if (inferred) return inferred;
  if (given) return given;
  if (d[1] === 1) return "nchw"; // [N, 1, H, W]: both readings take the pixels in the same order
  throw new ModelError(
    `${file}: the input ${shown} reaches ${reader || "the output"} before any convolution, so the graph does not say whether it is NCHW or NHWC; name it: rho convert --input-layout nchw|nhwc`,
  );
}

/** Flattens the activation: rho flattens channels last, so the vector remembers PyTorch's order. */
function flatten(act: Logical, layers: Layer[], name: string, nhwc = false): Vector {
  if (act.kind === "vector") return act;
  const { c, h, w } = act;
  layers.push({ kind: "flatten", name });
  // an NHWC tensor flattens in rho's own (channels-last) order
  if (nhwc || c === 1 || (h === 1 && w === 1)) return { kind: "vector", k: c * h * w };
  const order = new Int32Array(c * h * w);
  for (let ch = 0; ch < c; ch++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) order[(ch * h + i) * w + j] = (i * w + j) * c + ch;
  return { kind: "vector", k: c * h * w, order };
}

/** Per-unit values in PyTorch's order (a vector's elements as PyTorch flattened them) in rho's order. */
function rhoOrder(v: Float64Array, act: Logical): Float64Array {
  if (act.kind !== "vector" || !act.order) return v;
  const out = new Float64Array(v.length);
  const order = act.order;
  v.forEach((x, p) => {
    out[order[p] as number] = x;
  });
  return out;
}

/**
 * A constant broadcast per unit of a value, in rho's order: a scalar, one value per channel of an
 * image (NCHW: [C, 1, 1] after leading ones; NHWC: [C]) or per element of a vector ([K]).
 */
function perUnit(t: Tensor, act: Logical, nhwc: boolean): Float64Array {
  const units = act.kind === "image" ? act.c : act.k;
  const n = t.data.length;
  if (n === 1) return new Float64Array(units).fill(t.data[0] as number);
  const first = t.dims.findIndex((d) => d !== 1);
  const trailing = t.dims.slice(first);
  const ok = n === units && trailing.length === (act.kind === "image" && !nhwc ? 3 : 1);
  if (!ok)
    throw new Unsupported(
      `a constant of shape [${t.dims}] on a ${showLogical(act)} value (supported: a scalar or one value per ${act.kind === "image" ? "channel" : "element"})`,
    );
  return rhoOrder(Float64Array.from(t.data), act);
}

/** A bias: a scalar or one value per unit. */
function broadcastBias(t: Tensor, units: number): Float64Array {
  if (t.data.length === 1) return new Float64Array(units).fill(t.data[0] as number);
  if (t.data.length === units) return Float64Array.from(t.data);
  throw new Unsupported(`a bias of shape [${t.dims}] for ${units} units`);
}

/** Evaluates a node whose inputs are all constants. */
function foldConstant(
  op: string,
  a: Attributes,
  ins: readonly Tensor[],
  read: (t: NonNullable<ReturnType<Attributes["tensor"]>>) => Tensor,
): Tensor {
  const x = ins[0] as Tensor;
  switch (op) {
    case "Identity":
      return x;
    case "Transpose": {
      const perm = a.ints("perm") ?? x.dims.map((_, i) => x.dims.length - 1 - i);
      if (x.dims.length !== 2) {
        if (perm.every((p, i) => p === i)) return x;
        throw new Unsupported(`Transpose of a ${x.dims.length}-D constant`);
      }
      if (perm[0] === 0) return x;
      const [r, c] = x.dims as [number, number];
      const data = new Float64Array(r * c);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = x.data[i * c + j] as number;
      return { dims: [c, r], data };
    }
    case "Reshape": {
      const shape = Array.from((ins[1] as Tensor).data);
      const known = shape.map((s, i) => (s === 0 ? (x.dims[i] as number) : s));
      const rest = prod(known.filter((s) => s !== -1));
      return { dims: known.map((s) => (s === -1 ? x.data.length / rest : s)), data: x.data };
    }
    case "Cast":
      return x;
    case "Unsqueeze":
    case "Squeeze": {
      // only the dims change; shape vectors are what these see in practice
      const axes = Array.from((ins[1] ? ins[1].data : a.ints("axes")) ?? []);
      const rank = x.dims.length + (op === "Unsqueeze" ? axes.length : 0);
      const norm = new Set(axes.map((v) => (v < 0 ? v + rank : v)));
      const dims =
        op === "Unsqueeze"
          ? (() => {
              const out: number[] = [];
              let k = 0;
              for (let i = 0; i < rank; i++) out.push(norm.has(i) ? 1 : (x.dims[k++] as number));
              return out;
            })()
          : x.dims.filter((d, i) => (norm.size ? !norm.has(i) : d !== 1));
      return { dims, data: x.data };
    }
    case "Gather": {
      if (x.dims.length !== 1 || a.int("axis", 0) !== 0)
        throw new Unsupported("Gather other than from a vector");
      const idx = ins[1] as Tensor;
      const data = Float64Array.from(idx.data, (i) => {
        const j = i < 0 ? i + x.data.length : i;
        if (!(Number.isInteger(j) && j >= 0 && j < x.data.length)) throw new Unsupported(`Gather index ${i}`);
        return x.data[j] as number;
      });
      return { dims: idx.dims, data };
    }
    case "Concat": {
      if (ins.some((t) => t.dims.length > 1)) throw new Unsupported("Concat of constants other than vectors");
      const data = Float64Array.from(ins.flatMap((t) => Array.from(t.data)));
      return { dims: [data.length], data };
    }
    case "Slice": {
      // opset 10+: starts, ends, axes, steps as inputs; before: attributes (F.pad's pad arithmetic)
      const list = (i: number, attr: string) =>
        ins[i] ? Array.from((ins[i] as Tensor).data) : (a.ints(attr) ?? undefined);
      const starts = list(1, "starts") ?? [];
      const ends = list(2, "ends") ?? [];
      const rank = x.dims.length;
      const axes = (list(3, "axes") ?? starts.map((_, i) => i)).map((v) => (v < 0 ? v + rank : v));
      const steps = list(4, "steps") ?? starts.map(() => 1);
      const picks = x.dims.map((d) => Array.from({ length: d }, (_, i) => i));
      axes.forEach((axis, k) => {
        const d = x.dims[axis];
        const step = steps[k] as number;
        if (d === undefined || !step) throw new Unsupported(`Slice axis ${axis} step ${step}`);
        const norm = (v: number) => (v < 0 ? v + d : v);
        const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
        const from =
          step > 0 ? clamp(norm(starts[k] as number), 0, d) : clamp(norm(starts[k] as number), 0, d - 1);
        const to =
          step > 0 ? clamp(norm(ends[k] as number), 0, d) : clamp(norm(ends[k] as number), -1, d - 1);
        const idx: number[] = [];
        for (let i = from; step > 0 ? i < to : i > to; i += step) idx.push(i);
        picks[axis] = idx;
      });
      const dims = picks.map((p) => p.length);
      const strides = x.dims.map((_, i) => prod(x.dims.slice(i + 1)));
      const data = new Float64Array(prod(dims));
      const at = new Array<number>(rank).fill(0);
      for (let o = 0; o < data.length; o++) {
        let src = 0;
        for (let i = 0; i < rank; i++)
          src += ((picks[i] as number[])[at[i] as number] as number) * (strides[i] as number);
        data[o] = x.data[src] as number;
        for (let i = rank - 1; i >= 0; i--) {
          at[i] = (at[i] as number) + 1;
          if ((at[i] as number) < (dims[i] as number)) break;
          at[i] = 0;
        }
      }
      return { dims, data };
    }
    case "ConstantOfShape": {
      const shape = Array.from(x.data);
      if (!shape.every((d) => Number.isInteger(d) && d >= 0))
        throw new Unsupported(`ConstantOfShape [${shape}]`);
      const count = prod(shape);
      if (count > 1 << 24) throw new Unsupported(`ConstantOfShape [${shape}]: too large`);
      const v = a.tensor("value");
      return { dims: shape, data: new Float64Array(count).fill(v ? (read(v).data[0] ?? 0) : 0) };
    }
    default:
      throw new Unsupported(
        "on constants (supported there: Identity, Transpose, Reshape, Cast, Unsqueeze, Squeeze, Gather, Concat, Slice, ConstantOfShape)",
      );
  }
}
