import { type LabelledImages, type Network, type TrainOptions, type TrainProgress, train } from "@rho/models";
import { progressBar } from "./progress.js";

/** A progress bar per epoch on stderr, fed by training's onProgress; `status` describes the latest batch. */
export function trainBar(status: (p: TrainProgress) => string): {
  onProgress: (p: TrainProgress) => void;
  stop: () => void;
} {
  const bar = progressBar("train");
  let started = false;
  return {
    onProgress: (p) => {
      if (!started || p.batch === 1) {
        if (started) bar.stop();
        bar.start(p.batches, 0, { status: "" });
        started = true;
      }
      bar.update(p.batch, { status: status(p) });
    },
    stop: () => bar.stop(),
  };
}

/** Trains with a progress bar per epoch on stderr; `status` describes the latest batch. */
export async function trainWithProgress(
  net: Network,
  data: LabelledImages,
  opts: Omit<TrainOptions, "onProgress">,
  status: (p: TrainProgress) => string,
): Promise<Network> {
  const bar = trainBar(status);
  try {
    return await train(net, data, { ...opts, onProgress: bar.onProgress });
  } finally {
    bar.stop();
  }
}

/** "epoch 2/5 loss 0.0412 acc 98.70% 512 img/s" */
export const epochStatus =
  (epochs: number) =>
  (p: TrainProgress): string =>
    `epoch ${p.epoch + 1}/${epochs} loss ${p.loss.toFixed(4)} acc ${(100 * p.accuracy).toFixed(2)}% ${p.imagesPerSecond.toFixed(0)} img/s`;
