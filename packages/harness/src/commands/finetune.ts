import type { BackendName } from "@rho/models";
import { type Finetuning, finetune, ROUND_HEAD, roundCells, roundModel } from "../api/finetune.js";
import { attackByName, givenOptions, parseTarget } from "../attack-options.js";
import { EXIT_OK } from "../errors.js";
import type { Output } from "../output.js";
import { finetuneProgress } from "../progress.js";

export interface FinetuneCommandOptions {
  model: string;
  dataset: string;
  dataDir?: string;
  attack: string;
  rounds: number;
  trainPoints: number;
  sample?: number;
  trainImages?: number;
  lr: number;
  epochs: number;
  batchSize: number;
  seed: number;
  solver?: string;
  target: string;
  eps: number;
  workers: number;
  opt?: string[];
  out: string;
  backend: BackendName | "auto";
  json: boolean;
}

/** The CLI's flags → `finetune`, with progress on stderr. */
export async function runFinetune(o: FinetuneCommandOptions, out: Output): Promise<Finetuning> {
  const attack = attackByName(o.attack);
  const [given] = givenOptions([attack], {
    named: { solver: o.solver },
    ...(o.opt ? { pairs: o.opt } : {}),
  });
  const progress = finetuneProgress(out, o.epochs);
  try {
    return await finetune(
      {
        model: o.model,
        dataset: o.dataset,
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        attack: o.attack,
        attackOptions: given ?? {},
        rounds: o.rounds,
        trainPoints: o.trainPoints,
        ...(o.sample === undefined ? {} : { sample: o.sample }),
        ...(o.trainImages === undefined ? {} : { trainImages: o.trainImages }),
        lr: o.lr,
        epochs: o.epochs,
        batchSize: o.batchSize,
        seed: o.seed,
        target: parseTarget(o.target),
        eps: o.eps,
        out: o.out,
        workers: o.workers,
        backend: o.backend,
      },
      progress.hooks,
    );
  } finally {
    progress.stop();
  }
}

/** `rho finetune`: the rounds, then their table (or JSON). */
export async function finetuneCommand(o: FinetuneCommandOptions, out: Output): Promise<number> {
  const { rounds: history } = await runFinetune(o, out);
  const dropped = history.reduce((t, h) => t + h.droppedByRounding, 0);
  const verified = history.reduce((t, h) => t + h.verified, 0);
  if (o.json)
    out.json({
      out: o.out,
      attack: o.attack,
      rounds: history,
      models: history.map((h) => roundModel(o.out, h.round)),
    });
  else {
    out.line(`| round | ${ROUND_HEAD} | model |`);
    out.line("|---|---|---|---|---|---|---|");
    for (const h of history)
      out.line(`| ${h.round} | ${roundCells(h).join(" | ")} | ${roundModel(o.out, h.round)} |`);
    out.line(
      `rounding dropped ${dropped} of ${verified} verified examples (${verified ? ((100 * dropped) / verified).toFixed(1) : "0.0"}%; the paper saw 8.3%)`,
    );
  }
  return EXIT_OK;
}
