/** Images in NHWC order with 0–255 pixels, and one label per image. */
export interface Dataset {
  readonly name: string;
  readonly split: Split;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** count × height × width × channels bytes, image-major, channels last. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly classes: readonly string[];
}

export type Split = "train" | "test";

export const imageSize = (d: Pick<Dataset, "height" | "width" | "channels">): number =>
  d.height * d.width * d.channels;

/** The pixels of image i (a view, not a copy). */
export function image(d: Dataset, i: number): Uint8Array {
  if (!(i >= 0 && i < d.count))
    throw new RangeError(`image ${i} is not in [0, ${d.count}) of ${d.name} ${d.split}`);
  const n = imageSize(d);
  return d.images.subarray(i * n, (i + 1) * n);
}

/** The images at the given indices, in that order, as a dataset of their own. */
export function subset(d: Dataset, indices: readonly number[]): Dataset {
  const n = imageSize(d);
  const images = new Uint8Array(indices.length * n);
  const labels = new Uint8Array(indices.length);
  indices.forEach((i, k) => {
    images.set(image(d, i), k * n);
    labels[k] = d.labels[i] as number;
  });
  return { ...d, count: indices.length, images, labels };
}
