import type { Padding, Shape } from "./shape.js";

/** The layer kinds of the network IR; a new kind is one entry here plus one module in layers/. */
export type Layer = Dense | Conv2d | Relu | MaxPool | AvgPool | GlobalAvgPool | Flatten | Dropout;

interface Named {
  /** Optional name, used in messages and kept through tfjs conversion. */
  readonly name?: string;
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

export interface MaxPool extends Named {
  readonly kind: "maxpool";
  readonly size: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
}

/** Average pooling; with "same" padding the average is over the window's cells inside the input (as in TensorFlow). */
export interface AvgPool extends Named {
  readonly kind: "avgpool";
  readonly size: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
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

/** What every layer kind implements: its output shape (validating the layer) and a float64 forward pass. */
export interface LayerModule<L extends Layer> {
  readonly kind: L["kind"];
  /** Output shape for this input shape; throws a message (without the layer's name) when they do not fit. */
  outputShape(layer: L, input: Shape): Shape;
  /** Float64 forward pass of one example laid out channels last. */
  forward(layer: L, input: Float64Array, inShape: Shape, outShape: Shape): Float64Array;
}
