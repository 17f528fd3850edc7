import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { attackNames } from "@rho/attacks";
import { accuracy, type BackendName } from "@rho/models";
import { evaluate } from "../api/evaluate.js";
import { finetune, ROUND_HEAD, type RoundRecord, roundCells, roundModel } from "../api/finetune.js";
import { report } from "../api/report.js";
import { attackOptions, attacksByName, givenOptions, pairsFor } from "../attack-options.js";
import { EXIT_OK, UsageError } from "../errors.js";
import { accuracyPct, slug } from "../format.js";
import { chooseBackend, loadNetwork, loadSplit } from "../inputs.js";
import type { Output } from "../output.js";
import { finetuneProgress } from "../progress.js";
import { printReport } from "./report.js";
import { estimateSeconds, modelCount, profileFor } from "./reproduce-estimate.js";

export interface ReproduceOptions {
  quick: boolean;
  model: string;
  dataset: string;
  dataDir?: string;
  out: string;
  finetuneAttacks?: string;
  attacks?: string;
  rounds?: number;
  trainPoints?: number;
  trainImages?: number;
  testPoints?: number;
  /** Attack options for every run (`key=value` or `attack.key=value`), each run given those its attacks take. */
  opt?: string[];
  epochs?: number;
  lr?: number;
  workers: number;
  backend: BackendName | "auto";
  json: boolean;
}

/** The two settings: the paper's (all of MNIST) and a quick one (estimated at 49 min on 2 cores). */
const PRESETS = {
  full: {
    finetuneAttacks: "lbfgs,alp,alp-walk,alp-pgd",
    attacks: "lbfgs,alp,alp-walk,alp-pgd",
    rounds: 2,
    trainPoints: 60_000,
    trainImages: 60_000,
    testPoints: 10_000,
    epochs: 1,
    lr: 1e-4,
  },
  quick: {
    // alp alone finds (almost) no training examples on the shipped LeNet; alp-walk and alp-pgd are the LP arms that do
    finetuneAttacks: "lbfgs,alp,alp-walk,alp-pgd",
    attacks: "lbfgs,alp,alp-walk",
    rounds: 2,
    trainPoints: 100,
    trainImages: 10_000,
    testPoints: 40,
    epochs: 1,
    lr: 1e-4,
  },
};

/** Fewer training examples than this from a fine-tuning attack get a note: its arm is barely fine-tuned. */
const MIN_EXAMPLES = 10;

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * `rho reproduce`: the paper's fine-tuning experiment end to end — the model, fine-tuned for
 * T = 1..rounds with each fine-tuning attack, every model evaluated with every attack on the same
 * test points — ending in Table 1 and Figure 3. Re-running continues where it stopped.
 */
export async function reproduceCommand(o: ReproduceOptions, out: Output): Promise<number> {
  const preset = o.quick ? PRESETS.quick : PRESETS.full;
  const s = {
    finetuneAttacks: list(o.finetuneAttacks ?? preset.finetuneAttacks),
    attacks: o.attacks ?? preset.attacks,
    rounds: o.rounds ?? preset.rounds,
    trainPoints: o.trainPoints ?? preset.trainPoints,
    trainImages: o.trainImages ?? preset.trainImages,
    testPoints: o.testPoints ?? preset.testPoints,
    epochs: o.epochs ?? preset.epochs,
    lr: o.lr ?? preset.lr,
  };
  if (s.finetuneAttacks.length === 0) throw new UsageError("--finetune-attacks names no attack");
  // every name checked before hours of fine-tuning, not after
  for (const a of [...s.finetuneAttacks, ...list(s.attacks)])
    if (!attackNames().includes(a))
      throw new UsageError(`unknown attack "${a}"; known attacks: ${attackNames().join(", ")}`);
  // every --opt pair must fit some attack of the experiment (checked now, not after hours)
  const pairs = o.opt ?? [];
  const everyAttack = [...new Set([...s.finetuneAttacks, ...list(s.attacks)])];
  const resolved = attackOptions(attacksByName(everyAttack), { pairs });
  // each run's attacks get the pairs that name options of theirs
  const requests = (names: string[]) => {
    const attacks = attacksByName(names);
    const given = givenOptions(attacks, { pairs: pairsFor(attacks, pairs) });
    return names.map((name, i) => ({ name, options: given[i] ?? {} }));
  };
  const models = modelCount(s);
  // the times of the shipped model nearest this one in size: LeNet's would put NiN's days at minutes
  const profile = profileFor(await loadNetwork(o.model));
  const estimate = estimateSeconds(
    { ...s, attacks: list(s.attacks) },
    (a) => resolved[everyAttack.indexOf(a)] ?? {},
    o.workers,
    profile,
  );
  const hours = estimate / 3600;
  out.info(
    `reproduce (${o.quick ? "quick" : "full"}): ${models} models (${o.model}; fine-tuned with ${s.finetuneAttacks.join(", ")} for T = 1..${s.rounds}), ` +
      `${s.trainPoints} training points attacked per round, ${s.trainImages} original training images, ` +
      `${s.testPoints} test points × ${s.attacks}. Expected duration ≈ ${hours >= 1 ? `${hours.toFixed(1)} h` : `${Math.ceil(estimate / 60)} min`} ` +
      `on ${o.workers} workers (from per-point times of the shipped ${profile.model}); it can be stopped and re-run to continue.`,
  );
  const common = {
    dataset: o.dataset,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    workers: o.workers,
    backend: o.backend,
  };
  const progress = finetuneProgress(out, s.epochs);
  const runs: { name: string; model: string }[] = [{ name: "original", model: o.model }];
  const finetuning: { attack: string; rounds: readonly RoundRecord[] }[] = [];
  const evalDirs: string[] = [];
  try {
    for (const attack of s.finetuneAttacks) {
      const dir = join(o.out, `finetune-${attack}`);
      const [request] = requests([attack]);
      const { rounds } = await finetune(
        {
          ...common,
          model: o.model,
          attack,
          attackOptions: request?.options ?? {},
          rounds: s.rounds,
          trainPoints: s.trainPoints,
          trainImages: s.trainImages,
          lr: s.lr,
          epochs: s.epochs,
          batchSize: 64,
          seed: 1,
          out: dir,
        },
        progress.hooks,
      );
      for (const h of rounds) runs.push({ name: `${attack} T=${h.round}`, model: roundModel(dir, h.round) });
      finetuning.push({ attack, rounds });
      const added = rounds.reduce((t, h) => t + h.added, 0);
      if (added < MIN_EXAMPLES)
        out.info(
          `note: ${attack} found ${added} training examples in ${s.rounds} rounds of ${s.trainPoints} points: its ` +
            "fine-tuned models differ from the original by the extra training alone.",
        );
    }

    for (const run of runs) {
      const dir = join(o.out, "eval", slug(run.name));
      out.info(`evaluating ${run.name} with ${s.attacks} on ${s.testPoints} test points`);
      await evaluate(
        {
          ...common,
          model: run.model,
          split: "test",
          attacks: requests(list(s.attacks)),
          points: s.testPoints,
          sample: 1,
          out: dir,
          resume: true,
        },
        progress.hooks.evaluate,
      );
      evalDirs.push(dir);
    }
  } finally {
    progress.stop();
  }

  await chooseBackend(o.backend);
  const test = loadSplit(o.dataset, "test", o.dataDir);
  const baseAccuracy = (await accuracy(await loadNetwork(o.model), test)).accuracy;
  const lines = [
    `# Fine-tuning (rho reproduce${o.quick ? " --quick" : ""})`,
    "",
    `Each round attacked the same ${s.trainPoints} training points; ${s.trainImages} original training images, ` +
      `${s.epochs} epoch(s) per round at learning rate ${s.lr}. Test accuracy on the whole test split (${test.count} images).`,
    "",
    `| model | ${ROUND_HEAD} |`,
    "|---|---|---|---|---|---|",
    `| original | | | | | ${accuracyPct(baseAccuracy)} |`,
    ...finetuning.flatMap((f) =>
      f.rounds.map((h) => `| ${f.attack} T=${h.round} | ${roundCells(h).join(" | ")} |`),
    ),
  ];
  const few = finetuning.filter((f) => f.rounds.reduce((t, h) => t + h.added, 0) < MIN_EXAMPLES);
  if (few.length)
    lines.push(
      "",
      `${few.map((f) => f.attack).join(", ")} found fewer than ${MIN_EXAMPLES} training examples in all: ` +
        "those models differ from the original by the extra training alone.",
    );
  writeFileSync(join(o.out, "finetuning.md"), `${lines.join("\n")}\n`);
  const r = await report({
    runs: evalDirs,
    out: join(o.out, "report"),
    names: runs.map((run) => run.name),
    examples: 2,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
  });
  printReport(r, join(o.out, "report"), o.json, out);
  if (!o.json) {
    out.line(`\n${lines.slice(4).join("\n")}`);
    out.line(`\nFine-tuning table: ${join(o.out, "finetuning.md")}`);
  }
  return EXIT_OK;
}
