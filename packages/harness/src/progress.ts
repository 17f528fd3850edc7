import cliProgress from "cli-progress";
import type { EvaluateHooks } from "./api/evaluate.js";
import type { FinetuneHooks } from "./api/finetune.js";
import type { Output } from "./output.js";
import { epochStatus, trainBar } from "./training.js";

/** A progress bar with ETA on stderr; when stderr is not a terminal (logs, CI) it prints a line every 10 s instead. */
export function progressBar(label: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {status}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 10_000,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
}

/**
 * An eval run's progress on stderr (the backend, what a resumed run kept, a bar with each row's
 * status), as `evaluate`'s hooks; `stop` ends the bar.
 */
export function evalProgress(out: Output, label = "eval"): { hooks: EvaluateHooks; stop: () => void } {
  const bar = progressBar(label);
  let said = "";
  return {
    hooks: {
      onStart: ({ total, kept, backend }) => {
        // once for the runs one command makes (finetune's rounds, reproduce's evaluations)
        if (backend !== said) {
          said = backend;
          out.info(`backend: ${backend}`);
        }
        if (kept) out.info(`resuming: ${kept} results kept, ${total} to go`);
        bar.stop(); // a run after another (finetune's rounds) starts the bar afresh
        bar.start(total, 0, { status: "" });
      },
      onResult: (row) => bar.increment(1, { status: `${row.attack} #${row.index}: ${row.status}` }),
    },
    stop: () => bar.stop(),
  };
}

/** Fine-tuning's progress on stderr: each stage's line, the attack runs' bar, a bar per training epoch. */
export function finetuneProgress(out: Output, epochs: number): { hooks: FinetuneHooks; stop: () => void } {
  const attack = evalProgress(out, "attack");
  const training = trainBar(epochStatus(epochs));
  return {
    hooks: { onInfo: (t) => out.info(t), evaluate: attack.hooks, onTrainProgress: training.onProgress },
    stop: () => {
      attack.stop();
      training.stop();
    },
  };
}
