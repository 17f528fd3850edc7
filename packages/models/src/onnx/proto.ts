// Reading ONNX's protobuf: the ModelProto decoded by onnx-proto (protobufjs, pure JavaScript),
// tensors as float64 arrays whatever their storage (typed fields, raw little-endian bytes, or an
// external data file beside the model), and node attributes by name.
import onnxProto from "onnx-proto";
import { ModelError } from "../errors.js";
import { fileInModelFolder, readRange } from "../model-folder.js";

const { onnx } = onnxProto;
export type ModelProto = ReturnType<typeof onnx.ModelProto.decode>;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
type Attribute = onnxProto.onnx.IAttributeProto;

/** A constant: its dims and values (float64, whatever the stored type). */
export interface Tensor {
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelError(`${file}: not a readable ONNX model (${(e as Error).message})`);
  }
  if (!model.graph || (model.graph.node ?? []).length === 0)
    throw new ModelError(`${file}: not an ONNX model (no graph with nodes)`);
  return model;
}

const num = (v: number | { toNumber(): number } | null | undefined): number =>
  typeof v === "number" ? v : v ? v.toNumber() : 0;

const DT = onnx.TensorProto.DataType;
const BYTES: Partial<Record<number, number>> = {
  [DT.FLOAT]: 4,
  [DT.DOUBLE]: 8,
  [DT.INT64]: 8,
  [DT.INT32]: 4,
  [DT.INT8]: 1,
  [DT.UINT8]: 1,
};

function fromBytes(bytes: Uint8Array, type: number, count: number, what: string): Float64Array {
  const width = BYTES[type];
  if (width === undefined) throw new ModelError(`${what}: unsupported tensor data type ${DT[type] ?? type}`);
  if (bytes.length !== width * count)
    throw new ModelError(`${what}: ${bytes.length} bytes of data for ${count} values of ${DT[type]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * width;
    out[i] =
      type === DT.FLOAT
        ? view.getFloat32(at, true)
        : type === DT.DOUBLE
          ? view.getFloat64(at, true)
          : type === DT.INT64
            ? Number(view.getBigInt64(at, true))
            : type === DT.INT32
              ? view.getInt32(at, true)
              : type === DT.INT8
                ? view.getInt8(at)
                : view.getUint8(at);
  }
  return out;
}

/**
 * The most values (and the largest extent, zero dimensions counted as one) a tensor may have: every
 * loop over a tensor's dimensions is bounded before it starts, whatever a crafted file declares.
 */
export const MAX_TENSOR_VALUES = 2 ** 28;

/** A tensor's dims, checked: non-negative integers whose extent is at most MAX_TENSOR_VALUES. */
function checkedDims(t: TensorProto, what: string): number[] {
  const dims = (t.dims ?? []).map(num);
  let extent = 1;
  for (const d of dims) {
    if (!(Number.isSafeInteger(d) && d >= 0)) throw new ModelError(`${what}: dimension ${d} in [${dims}]`);
    extent *= Math.max(d, 1);
    if (extent > MAX_TENSOR_VALUES)
      throw new ModelError(`${what}: dims [${dims}] exceed ${MAX_TENSOR_VALUES} values, more than rho reads`);
  }
  return dims;
}

/** A tensor's values; external data is read from `dir` (the model's folder) and nowhere else. */
export function readTensor(t: TensorProto, dir: string, file: string): Tensor {
  const what = `${file}: tensor "${t.name ?? ""}"`;
  const dims = checkedDims(t, what);
  const count = dims.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const entry = (k: string) => t.externalData?.find((e) => e.key === k)?.value ?? undefined;
    const location = entry("location");
    if (!location) throw new ModelError(`${what}: external data without a location`);
    const width = BYTES[type];
    if (width === undefined)
      throw new ModelError(`${what}: unsupported tensor data type ${DT[type] ?? type}`);
    const data = fileInModelFolder(dir, location, `${what}: external data`);
    const offset = Number(entry("offset") ?? 0);
    const length = entry("length") !== undefined ? Number(entry("length")) : data.size - offset;
    // the size is checked before anything is read or allocated
    if (length !== width * count)
      throw new ModelError(`${what}: external data of ${length} bytes for ${count} values of ${DT[type]}`);
    return {
      dims,
      data: fromBytes(readRange(data, offset, length, `${what}: external data`), type, count, what),
    };
  }
  if (t.rawData && t.rawData.length > 0) return { dims, data: fromBytes(t.rawData, type, count, what) };
  const typed =
    type === DT.FLOAT
      ? t.floatData
      : type === DT.DOUBLE
        ? t.doubleData
        : type === DT.INT64
          ? t.int64Data
          : type === DT.INT32 || type === DT.INT8 || type === DT.UINT8
            ? t.int32Data
            : undefined;
  if (!typed) throw new ModelError(`${what}: unsupported tensor data type ${DT[type] ?? type}`);
  if (typed.length !== count) throw new ModelError(`${what}: ${typed.length} values for dims [${dims}]`);
  return { dims, data: Float64Array.from(typed, num) };
}

/** Attributes of a node by name, with defaults. */
export class Attributes {
  private readonly byName: Map<string, Attribute>;
  constructor(node: NodeProto) {
    this.byName = new Map((node.attribute ?? []).map((a) => [a.name ?? "", a]));
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  int(name: string, dflt: number): number {
    const a = this.byName.get(name);
    return a ? num(a.i) : dflt;
  }
  float(name: string, dflt: number): number {
    const a = this.byName.get(name);
    return a ? (a.f ?? 0) : dflt;
  }
  ints(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.ints ?? []).map(num) : undefined;
  }
  string(name: string, dflt: string): string {
    const a = this.byName.get(name);
    return a?.s ? new TextDecoder().decode(a.s) : dflt;
  }
  tensor(name: string): TensorProto | undefined {
    return this.byName.get(name)?.t ?? undefined;
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** The graph's declared input dims (dim_param → null). */
export function inputDims(model: ModelProto, name: string): (number | null)[] | undefined {
  const info = (model.graph?.input ?? []).find((i) => i.name === name);
  const dims = info?.type?.tensorType?.shape?.dim;
  // dim_value and dim_param are a oneof: protobufjs names the one that is set in `value`
  return dims?.map((d) => ((d as { value?: string }).value === "dimValue" ? num(d.dimValue) : null));
}
