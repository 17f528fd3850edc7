import type { Padding, Shape } from "./shape.js";

/** The layer kinds of the network IR; a new kind is one entry here plus one module in layers/. */
export type Layer =
  | Dense
  | Conv2d
  | Relu
  | MaxPool
  | AvgPool
  | GlobalAvgPool
  | Flatten
  | Dropout
  | Add
  | Concat;

interface Named {
  /** Optional name, used in messages and kept through tfjs conversion. */
  readonly name?: string;
  /**
   * The values the layer reads, as activation indices (0: the preprocessed input, k: layer
   * k − 1's output), each before the layer itself: the network is a DAG in topological order.
   * Default: the previous layer's output (a chain). A join reads two or more.
   */
  readonly inputs?: readonly number[];
}

/** The element-wise sum of two or more values of one shape: a residual connection. */
export interface Add extends Named {
  readonly kind: "add";
  readonly inputs: readonly number[];
}

/** Values joined along channels (images of one height and width) or features (vectors), in order. */
export interface Concat extends Named {
  readonly kind: "concat";
  readonly inputs: readonly number[];
  /** The shape of each input: filled in by `Network` (what the forward pass splits by). */
  readonly parts?: readonly Shape[];
}

/** y = x·W + b with W stored [inputs][units] row-major (Keras' kernel layout). */
export interface Dense extends Named {
  readonly kind: "dense";
  readonly units: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/** 2-D convolution, channels last, kernel stored [kh][kw][inChannels][filters] (Keras' HWIO). */
export interface Conv2d extends Named {
  readonly kind: "conv2d";
  readonly filters: number;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

export interface Relu extends Named {
  readonly kind: "relu";
}

/** Max pooling; padding cells are −∞ (never the maximum). */
export interface MaxPool extends Named {
  readonly kind: "maxpool";
  readonly size: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
}

/**
 * Average pooling. With padding the average is over the window's cells inside the input (as in
 * TensorFlow, and ONNX's count_include_pad=0), or over the whole window with the padding's zeros
 * counted (`countPadding`: PyTorch's default count_include_pad=True).
 */
export interface AvgPool extends Named {
  readonly kind: "avgpool";
  readonly size: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
  readonly countPadding?: boolean;
}

export interface GlobalAvgPool extends Named {
  readonly kind: "globalavgpool";
}

export interface Flatten extends Named {
  readonly kind: "flatten";
}

/** Identity at inference; the rate matters only for training. */
export interface Dropout extends Named {
  readonly kind: "dropout";
  readonly rate: number;
}

export type LayerKind = Layer["kind"];

/**
 * What every layer kind implements: its output shape (validating the layer) and a float64 forward
 * pass. A layer's input is one value, or for a join (`join: true`) its inputs concatenated in
 * order (flat, `input` = [total]; `parts` the shape of each): so every rule written for one input
 * — forward passes, encodings, bounds — applies to joins as to any other affine layer.
 */
export interface LayerModule<L extends Layer> {
  readonly kind: L["kind"];
  /** Joins read two or more values; other layers one. */
  readonly join?: true;
  /** Output shape for this input shape; throws a message (without the layer's name) when they do not fit. */
  outputShape(layer: L, input: Shape, parts: readonly Shape[]): Shape;
  /** Float64 forward pass of one example laid out channels last. */
  forward(layer: L, input: Float64Array, inShape: Shape, outShape: Shape): Float64Array;
  /**
   * Which input positions an output reads (`Network.receptiveField`): the same position
   * ("pointwise": element-wise layers, joins), a sliding window, or every input ("all").
   */
  readonly reach: Reach<L>;
}

/** A layer's reach: see `LayerModule.reach`. */
export type Reach<L extends Layer> =
  | "pointwise"
  | "all"
  | ((layer: L) => { readonly size: readonly [number, number]; readonly strides: readonly [number, number] });
