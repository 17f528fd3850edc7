// Random small networks using every layer kind, for property tests here and in the encoders.
import fc from "fast-check";
import { type Layer, Network, type Padding, rawPixels, type Shape, window } from "./index.js";

const weights = (n: number) =>
  fc
    .array(
      fc.integer({ min: -20, max: 20 }).map((v) => v / 10),
      { minLength: n, maxLength: n },
    )
    .map((a) => Float32Array.from(a));

/** One random layer that fits `shape`, or undefined when none of the picked kind does. */
function arbLayer(shape: Shape): fc.Arbitrary<Layer> {
  if (shape.length === 1) {
    const n = shape[0];
    return fc.oneof(
      fc.integer({ min: 1, max: 5 }).chain((units) =>
        fc.record({
          kind: fc.constant("dense" as const),
          units: fc.constant(units),
          weights: weights(n * units),
          bias: weights(units),
        }),
      ),
      fc.constant({ kind: "relu" as const }),
      fc.constant({ kind: "dropout" as const, rate: 0.5 }),
    );
  }
  const [h, w, c] = shape;
  const fits = (k: number, s: number, p: Padding) =>
    window(h, k, s, p, 0).out >= 1 && window(w, k, s, p, 1).out >= 1;
  // "valid", "same", or explicit (asymmetric) pads smaller than the window
  const pad = (k: number): fc.Arbitrary<Padding> => {
    const side = fc.integer({ min: 0, max: k - 1 });
    return fc.oneof(
      fc.constantFrom<Padding>("valid", "same"),
      fc.record({ top: side, bottom: side, left: side, right: side }),
    );
  };
  const conv = fc
    .record({
      k: fc.integer({ min: 1, max: 3 }),
      s: fc.integer({ min: 1, max: 2 }),
      filters: fc.integer({ min: 1, max: 3 }),
    })
    .chain((r) => pad(r.k).map((padding) => ({ ...r, padding })))
    .filter(({ k, s, padding }) => fits(k, s, padding))
    .chain(({ k, s, padding, filters }) =>
      fc.record({
        kind: fc.constant("conv2d" as const),
        filters: fc.constant(filters),
        kernel: fc.constant([k, k] as const),
        strides: fc.constant([s, s] as const),
        padding: fc.constant(padding),
        weights: weights(k * k * c * filters),
        bias: weights(filters),
      }),
    );
  const pool = (kind: "maxpool" | "avgpool") =>
    fc
      .record({ k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), counts: fc.boolean() })
      .chain((r) => pad(r.k).map((padding) => ({ ...r, padding })))
      .filter(({ k, s, padding }) => fits(k, s, padding))
      .map(({ k, s, padding, counts }) => ({
        kind,
        size: [k, k] as const,
        strides: [s, s] as const,
        padding,
        ...(kind === "avgpool" && counts ? { countPadding: true } : {}),
      }));
  return fc.oneof(
    conv,
    pool("maxpool"),
    pool("avgpool"),
    fc.constant({ kind: "relu" as const }),
    fc.constant({ kind: "flatten" as const }),
    fc.constant({ kind: "globalavgpool" as const }),
    fc.constant({ kind: "dropout" as const, rate: 0.25 }),
  );
}

/**
 * A residual or concat block on value `at` of this shape: one branch layer that keeps the shape
 * (a ReLU, a "same" 3×3 or explicitly padded convolution, a square dense layer), then an add or
 * a concat of the block's input and the branch.
 */
function arbBlock(shape: Shape, at: number): fc.Arbitrary<Layer[]> {
  const branch: fc.Arbitrary<Layer> =
    shape.length === 1
      ? fc.oneof(
          fc.constant<Layer>({ kind: "relu" }),
          fc
            .record({ weights: weights(shape[0] * shape[0]), bias: weights(shape[0]) })
            .map((wb): Layer => ({ kind: "dense", units: shape[0], ...wb })),
        )
      : fc.oneof(
          fc.constant<Layer>({ kind: "relu" }),
          fc
            .record({
              weights: weights(9 * shape[2] * shape[2]),
              bias: weights(shape[2]),
              padding: fc.constantFrom<Padding>("same", { top: 1, bottom: 1, left: 1, right: 1 }),
            })
            .map(
              (r): Layer => ({
                kind: "conv2d",
                filters: shape[2],
                kernel: [3, 3],
                strides: [1, 1],
                ...r,
              }),
            ),
        );
  return fc
    .tuple(branch, fc.constantFrom("add" as const, "concat" as const))
    .map(([b, join]) => [b, { kind: join, inputs: [at, at + 1] }]);
}

/** A random valid network: 2–6 random layers on a small image, then flatten and a dense head. */
export function arbNetwork(
  opts: { maxLayers?: number; outputs?: number; joins?: boolean } = {},
): fc.Arbitrary<Network> {
  const maxLayers = opts.maxLayers ?? 5;
  return fc
    .record({
      h: fc.integer({ min: 2, max: 6 }),
      w: fc.integer({ min: 2, max: 6 }),
      c: fc.integer({ min: 1, max: 2 }),
    })
    .chain(({ h, w, c }) => {
      const grow = (shape: Shape, layers: Layer[], left: number): fc.Arbitrary<Layer[]> => {
        if (left === 0) return fc.constant(layers);
        const step =
          (opts.joins ?? true)
            ? fc.oneof(
                arbLayer(shape).map((l) => [l]),
                arbBlock(shape, layers.length),
              )
            : arbLayer(shape).map((l) => [l]);
        return step.chain((added) => {
          const next = new Network({ inputShape: [h, w, c], layers: [...layers, ...added] });
          return grow(next.shapes[next.shapes.length - 1] as Shape, [...layers, ...added], left - 1);
        });
      };
      return fc.integer({ min: 1, max: maxLayers }).chain((n) =>
        grow([h, w, c], [], n).chain((layers) => {
          const body = new Network({ inputShape: [h, w, c], layers });
          const last = body.shapes[body.shapes.length - 1] as Shape;
          const flat = last.length === 3 ? [{ kind: "flatten" as const }] : [];
          const inputs = last.reduce((a, b) => a * b, 1);
          const outputs = opts.outputs ?? 3;
          return fc.record({ weights: weights(inputs * outputs), bias: weights(outputs) }).map(
            (head) =>
              new Network({
                inputShape: [h, w, c],
                layers: [...layers, ...flat, { kind: "dense", units: outputs, ...head }],
              }),
          );
        }),
      );
    });
}

/** Raw pixels (0–255 integers) for a network. */
export const arbPixels = (net: Network) =>
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: net.inputSize, maxLength: net.inputSize });

/**
 * inputs → h → ReLU → h → ReLU → outputs, h from 2 to `maxHidden`, weights and biases in tenths
 * from −3 to 3 (raw pixels: the input is the network's X): splits in the first hidden layer
 * change the second's bounds.
 */
export function arbTwoHidden(inputs: number, outputs: number, maxHidden = 6): fc.Arbitrary<Network> {
  const tenths = (n: number) =>
    fc
      .array(fc.integer({ min: -30, max: 30 }), { minLength: n, maxLength: n })
      .map((a) => Float32Array.from(a, (v) => v / 10));
  const dense = (units: number, n: number) =>
    fc.record({
      kind: fc.constant("dense" as const),
      units: fc.constant(units),
      weights: tenths(n * units),
      bias: tenths(units),
    });
  return fc
    .integer({ min: 2, max: maxHidden })
    .chain((h) => fc.tuple(dense(h, inputs), dense(h, h), dense(outputs, h)))
    .map(
      ([a, b, c]) =>
        new Network({
          inputShape: [inputs],
          preprocess: rawPixels(1),
          layers: [a, { kind: "relu" }, b, { kind: "relu" }, c],
        }),
    );
}
