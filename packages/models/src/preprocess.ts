/**
 * How raw pixels (0–255) become the network's input: per channel c, x = pixel · scale[c] + shift[c].
 * Affine, so the encoders can fold it into the constraints.
 */
export interface Preprocess {
  readonly scale: readonly number[];
  readonly shift: readonly number[];
}

/** pixel / 255, the Keras/tfjs convention and rho's default for models loaded from disk. */
export const unitPixels = (channels: number): Preprocess => ({
  scale: new Array<number>(channels).fill(1 / 255),
  shift: new Array<number>(channels).fill(0),
});

/** Raw 0–255 pixels. */
export const rawPixels = (channels: number): Preprocess => ({
  scale: new Array<number>(channels).fill(1),
  shift: new Array<number>(channels).fill(0),
});

/** (pixel · pixelScale − mean) / std per channel; mean and std in the units of pixel · pixelScale. */
export function meanStd(mean: readonly number[], std: readonly number[], pixelScale = 1 / 255): Preprocess {
  if (mean.length !== std.length)
    throw new Error(`${mean.length} means for ${std.length} standard deviations`);
  return { scale: std.map((s) => pixelScale / s), shift: mean.map((m, c) => -m / (std[c] as number)) };
}
