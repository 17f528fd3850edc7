import { writeFile } from "node:fs/promises";
import { PNG } from "pngjs";

export interface ImageShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/**
 * The paper's Figure 2 panel: original | adversarial | perturbation scaled so its largest
 * |value| spans the grey range (mid-grey is no change), side by side, each enlarged to be seen.
 */
export function comparisonPng(
  shape: ImageShape,
  original: ArrayLike<number>,
  adversarial: ArrayLike<number>,
  gap = 4,
): Buffer {
  const { height: h, width: w, channels: c } = shape;
  const zoom = Math.max(1, Math.ceil(112 / Math.max(h, w)));
  const delta = Array.from(original as ArrayLike<number>, (v, i) => (adversarial[i] as number) - v);
  const peak = Math.max(1e-12, ...delta.map(Math.abs));
  const panels = [
    (i: number) => original[i] as number,
    (i: number) => adversarial[i] as number,
    (i: number) => 127.5 + (127.5 * (delta[i] as number)) / peak,
  ];
  const png = new PNG({ width: 3 * w * zoom + 2 * gap, height: h * zoom });
  png.data.fill(255);
  panels.forEach((value, p) => {
    for (let y = 0; y < h * zoom; y++) {
      for (let x = 0; x < w * zoom; x++) {
        const src = (Math.floor(y / zoom) * w + Math.floor(x / zoom)) * c;
        const dst = (y * png.width + p * (w * zoom + gap) + x) * 4;
        for (let k = 0; k < 3; k++) {
          const v = value(src + (c === 1 ? 0 : k));
          png.data[dst + k] = Math.max(0, Math.min(255, Math.round(v)));
        }
        png.data[dst + 3] = 255;
      }
    }
  });
  return PNG.sync.write(png);
}

export async function writeComparisonPng(
  file: string,
  shape: ImageShape,
  original: ArrayLike<number>,
  adversarial: ArrayLike<number>,
): Promise<void> {
  await writeFile(file, comparisonPng(shape, original, adversarial));
}
