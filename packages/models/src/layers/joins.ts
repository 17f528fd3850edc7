// Joins: layers that read two or more values (residual Add, Concat). Each sees its inputs
// concatenated in order (see LayerModule), so its forward pass is an affine map of that vector:
// an add sums the parts element-wise, a concat interleaves them per pixel (channels last).
import type { Add, Concat, LayerModule } from "../layer.js";
import { isImage, type Shape, showShape, size } from "../shape.js";

const needTwo = (parts: readonly Shape[]) => {
  if (parts.length < 2) throw new Error(`joins two or more values, got ${parts.length}`);
};

export const add: LayerModule<Add> = {
  kind: "add",
  join: true,
  reach: "pointwise",
  outputShape(_layer, _input, parts) {
    needTwo(parts);
    const first = parts[0] as Shape;
    for (const p of parts)
      if (p.join() !== first.join())
        throw new Error(`adds values of different shapes: ${parts.map(showShape).join(" and ")}`);
    return first;
  },
  forward(_layer, x, _inShape, outShape) {
    const n = size(outShape);
    const y = new Float64Array(n);
    for (let k = 0; k < x.length; k += n)
      for (let o = 0; o < n; o++) y[o] = (y[o] as number) + (x[k + o] as number);
    return y;
  },
};

/** For output cell o of a concat: which input (part) and which of its cells it copies. */
export function concatSource(parts: readonly Shape[], outShape: Shape): (o: number) => number {
  // index into the concatenated input, computed per output cell
  const widths = parts.map((p) => (isImage(p) ? p[2] : p[0]));
  const offsets: number[] = [];
  let total = 0;
  for (const p of parts) {
    offsets.push(total);
    total += size(p);
  }
  const c = isImage(outShape) ? outShape[2] : outShape[0];
  // per output channel: its part and channel within that part
  const partOf = new Int32Array(c);
  const chOf = new Int32Array(c);
  let ch = 0;
  widths.forEach((w, k) => {
    for (let j = 0; j < w; j++) {
      partOf[ch] = k;
      chOf[ch] = j;
      ch++;
    }
  });
  if (!isImage(outShape)) return (o) => (offsets[partOf[o] as number] as number) + (chOf[o] as number);
  return (o) => {
    const pixel = Math.floor(o / c);
    const k = partOf[o % c] as number;
    return (offsets[k] as number) + pixel * (widths[k] as number) + (chOf[o % c] as number);
  };
}

export const concat: LayerModule<Concat> = {
  kind: "concat",
  join: true,
  reach: "pointwise",
  outputShape(_layer, _input, parts) {
    needTwo(parts);
    const first = parts[0] as Shape;
    const fits = parts.every(
      (p) => p.length === first.length && (!isImage(p) || (p[0] === first[0] && p[1] === first[1])),
    );
    if (!fits)
      throw new Error(
        `joins ${parts.map(showShape).join(" and ")}: images of one height and width, or vectors`,
      );
    if (!isImage(first)) return [parts.reduce((a, p) => a + (p[0] as number), 0)];
    return [first[0], first[1], parts.reduce((a, p) => a + (p[2] as number), 0)];
  },
  forward(layer, x, _inShape, outShape) {
    if (!layer.parts) throw new Error("a concat's parts are filled in by Network");
    const from = concatSource(layer.parts, outShape);
    return Float64Array.from({ length: size(outShape) }, (_, o) => x[from(o)] as number);
  },
};
