import {
  AttackOptionError,
  attackList,
  attackNames,
  describeType,
  parseDecimal,
  parseInteger,
} from "@rho/attacks";
import { boundMethodNames } from "@rho/bounds";
import { datasetNames } from "@rho/datasets";
import { ARCHITECTURES, BACKENDS, SUPPORTED_ONNX_OPS } from "@rho/models";
import { solverEntries, solverNames } from "@rho/solvers";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { DEFAULT_ATTACK_TIME_LIMIT } from "./api/evaluate.js";
import { attackCommand } from "./commands/attack.js";
import { boundCommand } from "./commands/bound.js";
import { compareCommand } from "./commands/compare.js";
import { convertCommand } from "./commands/convert.js";
import { dataFetchCommand } from "./commands/data.js";
import { demo } from "./commands/demo.js";
import { defaultWorkers, evalCommand } from "./commands/eval.js";
import { finetuneCommand } from "./commands/finetune.js";
import { lpSolve } from "./commands/lp.js";
import { mergeCommand } from "./commands/merge.js";
import { mergeVerifyCommand } from "./commands/merge-verify.js";
import { reportCommand } from "./commands/report.js";
import { reproduceCommand } from "./commands/reproduce.js";
import { accuracyCommand, trainCommand } from "./commands/train.js";
import { verifyCommand } from "./commands/verify.js";
import { verifyInstancesCommand } from "./commands/verify-instances.js";
import { EXIT_OK, EXIT_USAGE, UsageError } from "./errors.js";
import { SHIPPED_MODELS } from "./inputs.js";
import { type Output, processOutput } from "./output.js";
import { loadPlugins } from "./plugins.js";
import { attackFlag, attackNegation } from "./schema-flags.js";
import { VERSION } from "./version.js";

// Numbers are parsed strictly, flags and --opt alike: "", " 5", "1e3" (as a count), "0x10", "1.5" (as a
// count) and "xyz" are refused.
const positiveNumber = (v: string): number => {
  const n = parseDecimal(v);
  if (n === undefined || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${v}"`);
  return n;
};
const finiteNumber = (v: string): number => {
  const n = parseDecimal(v);
  if (n === undefined) throw new InvalidArgumentError(`expected a number, got "${v}"`);
  return n;
};
const nonNegativeInt = (v: string): number => {
  const n = /^\d+$/.test(v) ? parseInteger(v) : undefined;
  if (n === undefined) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return n;
};

/** --solver: the LP solver of `lp` and `demo` (default highs), or of a run's LP attacks (from their schema). */
function solverOption(withDefault = true): Option {
  if (!withDefault) return attackFlag("-s, --solver <name>", "solver", "LP attacks");
  return new Option("-s, --solver <name>", "LP solver").choices(solverNames()).default("highs");
}

export function buildProgram(out: Output, setExit: (code: number) => void): Command {
  const program = new Command("rho")
    .description(
      "Measure neural-net robustness to adversarial examples with constraints\n" +
        "(Bastani et al., Measuring Neural Net Robustness with Constraints, NeurIPS 2016).",
    )
    .version(VERSION)
    .option(
      "--plugin <module>",
      "import a module that registers attacks or solvers (repeatable; before the command)",
    )
    // bad input is one line on stderr, its hint on the same line
    .configureOutput({
      writeOut: (s) => out.line(s.trimEnd()),
      writeErr: (s) => out.error(s),
      outputError: (s, write) => write(`${s.replace(/\s*\n\s*/g, " ").trim()} (see --help)\n`),
    })
    .exitOverride();

  program
    .command("demo")
    .description(
      "Robustness of a small 2-D ReLU network (the paper's Figure 1) via its convex-restriction LP,\n" +
        "solved by each LP solver, in one go and by iterative constraint solving; every adversarial\n" +
        "example is checked by a forward pass. Exit 1 if solvers disagree or a check fails.",
    )
    .option("--solvers <list>", "comma-separated solvers", solverNames().join(","))
    .option("--seed <n>", "seed of the network's weights", nonNegativeInt, 2)
    .option("--points <n>", "number of points x*", nonNegativeInt, 5)
    .option("--json", "print one JSON object on stdout", false)
    .action(async (o: { solvers: string; seed: number; points: number; json: boolean }) => {
      const solvers = o.solvers
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      setExit(await demo({ ...o, solvers }, out));
    });

  program
    .command("attacks")
    .description(
      "List the registered attacks (with --plugin, yours too): family — minimum-distance (ρ̂, an upper " +
        "bound on ρ; severity and Figure 3) or fixed-epsilon (adversarial within its radius eps? frequency " +
        "only) — and every option: type, default, allowed values, help. Give options with --opt key=value.",
    )
    .option("--json", "print one JSON object on stdout", false)
    .action((o: { json: boolean }) => {
      const list = attackList().map((a) => ({
        name: a.name,
        family: a.family,
        description: a.description,
        options: Object.entries(a.options).map(([name, spec]) => ({
          name,
          type: spec.type,
          allowed: describeType(spec),
          default: spec.default ?? null,
          help: spec.help,
        })),
        ...(a.trainingOptions ? { trainingOptions: a.trainingOptions } : {}),
      }));
      if (o.json) out.json({ attacks: list });
      else
        for (const a of list) {
          out.line(`${a.name} (${a.family}): ${a.description}`);
          for (const p of a.options)
            out.line(
              `  ${p.name.padEnd(13)} ${p.allowed}${p.default === null ? "" : `, default ${p.default}`}: ${p.help}`,
            );
          out.line("");
        }
    });

  program
    .command("solvers")
    .description("List the registered LP solvers and what each supports.")
    .option("--json", "print one JSON object on stdout", false)
    .action(async (o: { json: boolean }) => {
      const { getSolver } = await import("@rho/solvers");
      const list = await Promise.all(
        solverEntries().map(async (e) => ({
          name: e.name,
          description: e.description,
          ...(await getSolver(e.name)).capabilities,
        })),
      );
      if (o.json) out.json({ solvers: list });
      else
        for (const s of list)
          out.line(
            `${s.name.padEnd(6)} ${s.description}\n       warm start: ${s.warmStart}, MILP: ${s.mip}, time limit: ${s.timeLimit}, interior point: ${s.interiorPoint}`,
          );
    });

  const backendOption = () =>
    new Option("--backend <name>", "tensor backend (auto: native TensorFlow if installed, else wasm)")
      .choices(["auto", ...BACKENDS])
      .default("auto");
  // options several commands share: the model, the data, the target label
  const datasetOption = () =>
    new Option("--dataset <name>", "dataset").choices(datasetNames()).default("mnist");
  const modelOption = () =>
    new Option(
      "--model <dir|file|name>",
      `model directory (model.json + weights), an ONNX file (.onnx, rho.json beside it for the input scale), or a shipped model: ${Object.keys(SHIPPED_MODELS).join(", ")}`,
    ).makeOptionMandatory();
  const dataDirOption = () =>
    new Option("--data-dir <dir>", "directory with the dataset's files (MNIST is embedded)");
  const splitOption = () => new Option("--split <name>", "split").choices(["train", "test"]).default("test");
  const targetOption = () =>
    new Option(
      "--target <t>",
      "label to reach: second (most probable), all (the nearest), or a label",
    ).default("second");

  program
    .command("train")
    .description(
      "Train an architecture from the zoo; saves a TensorFlow.js-format model (model.json, weights.bin,\n" +
        "rho.json) and train-state.json to --out after every epoch, so --resume continues a killed run.",
    )
    .addOption(
      new Option("--arch <name>", "architecture").choices(Object.keys(ARCHITECTURES)).default("lenet"),
    )
    .addOption(datasetOption())
    .addOption(dataDirOption())
    .option("--epochs <n>", "total epochs", nonNegativeInt, 5)
    .option("--seed <n>", "seed of the initial weights and the shuffles", nonNegativeInt, 1)
    .option("--batch-size <n>", "batch size", nonNegativeInt, 64)
    .option("--lr <rate>", "Adam learning rate", positiveNumber, 1e-3)
    .requiredOption("--out <dir>", "output directory")
    .option(
      "--resume",
      "continue from the last epoch saved in --out (with --lr: at a new learning rate)",
      false,
    )
    .addOption(backendOption())
    .option("--json", "print one JSON object on stdout", false)
    .action(async (o, cmd: Command) => {
      setExit(await trainCommand({ ...o, lrGiven: cmd.getOptionValueSource("lr") === "cli" }, out));
    });

  program
    .command("convert")
    .description(
      "Write a model rho loads — an ONNX file exported from PyTorch above all — in rho's own format " +
        "(TensorFlow.js layers: model.json, weights.bin, rho.json) with a MODEL_CARD.md naming the " +
        `source files' sha256. ONNX ops rho imports: ${SUPPORTED_ONNX_OPS.join(", ")}.`,
    )
    .argument("<model>", "an .onnx file, a model directory or a shipped model")
    .requiredOption("--out <dir>", "output directory (must not hold a model)")
    .option(
      "--preprocess <spec>",
      'how 0–255 pixels map to the model\'s input: unit (pixel/255, the default), raw, mean=a,b,c:std=d,e,f (on pixel/255), or {"scale": […], "shift": […]}; instead of rho.json beside the model',
    )
    .option(
      "--output <name>",
      "ONNX: the graph output that holds the logits (required when the graph has several)",
    )
    .option(
      "--input-layout <nchw|nhwc>",
      "ONNX: how a 4-D input holds its image, needed where the graph flattens it before any convolution (a convolution or a leading Transpose says it otherwise)",
    )
    .option("--json", "print one JSON object on stdout", false)
    .action(async (model: string, o) => {
      setExit(await convertCommand({ ...o, model }, out));
    });

  program
    .command("accuracy")
    .description("Accuracy of a saved model on a dataset split.")
    .addOption(modelOption())
    .addOption(datasetOption())
    .addOption(dataDirOption())
    .addOption(splitOption())
    .addOption(backendOption())
    .option("--json", "print one JSON object on stdout", false)
    .action(async (o) => {
      setExit(await accuracyCommand(o, out));
    });

  program
    .command("attack")
    .description(
      "Run one attack on one dataset point and print ρ̂ (pixels), target, status and time. Every " +
        "adversarial example is checked by a float64 and a float32 forward pass; one that fails is " +
        "reported unverified and never counted. Exit 1 if the attack errs or its example fails the check.\n\n" +
        `Attacks (rho attacks lists their options):\n${attackList()
          .map((a) => `  ${a.name.padEnd(8)} ${a.description}`)
          .join("\n")}`,
    )
    .addOption(modelOption())
    .addOption(datasetOption())
    .addOption(dataDirOption())
    .addOption(splitOption())
    .option("--attack <name>", `attack: ${attackNames().join(", ")} (or one a --plugin registers)`, "alp")
    .requiredOption("--index <i>", "index of the point in the split", nonNegativeInt)
    .addOption(targetOption())
    .addOption(solverOption(false))
    .addOption(attackNegation("--no-iterative", "iterative", "LP attacks"))
    .addOption(attackFlag("--margin <logits>", "margin", "LP attacks"))
    .addOption(attackFlag("--ties <rule>", "ties", "LP attacks"))
    .addOption(attackFlag("--time-limit <seconds>", "timeLimit", "LP attacks"))
    .addOption(attackFlag("--eps <pixels>", "eps", "fixed-ε attacks"))
    .addOption(attackFlag("--norm <linf|l2>", "norm"))
    .option("--opt <key=value...>", "any other attack option (rho attacks lists them), e.g. --opt cSteps=8")
    .option("--save-image <file.png>", "write original | adversarial | scaled perturbation side by side")
    .addOption(backendOption())
    .option("--json", "print one JSON object on stdout", false)
    .action(async (o) => {
      setExit(await attackCommand(o, out));
    });

  program
    .command("bound")
    .description(
      "A certified lower bound on one point's ρ: the largest ε (found by bisection) at which a sound " +
        "method proves that no input in the L∞ ball ∩ the pixel box gets another label, in float32 as in " +
        "float64 (see the README on rounding). ibp: interval bound propagation; crown: backward linear " +
        "bound propagation; milp: exact ρ by MILP (status exact, or bracket at the time limit, or " +
        "certified_beyond). The upper bound is a verified witness's distance (null without one).",
    )
    .addOption(modelOption())
    .addOption(datasetOption())
    .addOption(dataDirOption())
    .addOption(splitOption())
    .requiredOption("--index <i>", "index of the point in the split", nonNegativeInt)
    .addOption(new Option("--method <name>", "certifying method").choices(boundMethodNames()).default("ibp"))
    .option("--eps-max <pixels>", "largest ε tried", positiveNumber, 255)
    .option(
      "--tolerance <pixels>",
      "bisection stops when certified and uncertified ε are this close",
      positiveNumber,
      0.01,
    )
    .option(
      "--time-limit <seconds>",
      "milp: wall-clock limit of the MILP (then a bracket)",
      positiveNumber,
      60,
    )
    .option("--json", "print one JSON object on stdout", false)
    .action(async (o) => {
      setExit(await boundCommand(o, out));
    });

  program
    .command("eval")
    .description(
      "Evaluate robustness: every attack on every chosen point, in parallel worker threads. Each result " +
        "is appended to OUT/results.jsonl as it finishes (OUT/run.json records the model and data hashes, " +
        "attacks, options and points), so --resume continues a killed run and loses no completed point. " +
        "Prints each attack's adversarial frequency and severity at ε (over correctly classified points) " +
        "with 95% intervals.",
    )
    .addOption(modelOption())
    .addOption(datasetOption())
    .addOption(dataDirOption())
    .addOption(splitOption())
    .option(
      "--attacks <list>",
      `comma-separated attacks: ${attackNames().join(", ")}`,
      "alp,alp-walk,lbfgs,fgsm",
    )
    .addOption(solverOption(false))
    .addOption(targetOption())
    .option("--points <n>", "how many points (the first N, or N sampled with --sample)", nonNegativeInt, 100)
    .option(
      "--sample <seed>",
      "draw the points at random with this seed instead of taking the first N",
      nonNegativeInt,
    )
    .option(
      "--shard <i/n>",
      "take this deterministic 1/n share of the points (0-based i), for runs across machines",
    )
    .option(
      "--eps <pixels>",
      "ε of frequency and severity; also the radius of every fixed-epsilon attack (fgsm, apgd, square) unless --opt NAME.eps=R",
      positiveNumber,
      20,
    )
    .requiredOption("--out <dir>", "results directory")
    .option(
      "--resume",
      "continue the run in --out (refused if it is a different run; attacks and points may be added, e.g. --attacks alp,fgsm to a run of fgsm, or --points 200 to a run of 100)",
      false,
    )
    .option(
      "--bounds <list>",
      `certifying methods run beside the attacks (${boundMethodNames().join(", ")}): per point the bracket ρ_lb ≤ ρ ≤ ρ̂, and the shares certified / proven non-robust / unknown at ε`,
    )
    .option("--bound-eps-max <pixels>", "bounds: the largest ε tried", positiveNumber, 64)
    .option("--bound-time-limit <seconds>", "bounds: milp's time limit per point", positiveNumber, 60)
    .option("--workers <k>", "worker threads (default: one per core)", nonNegativeInt, defaultWorkers())
    .option(
      "--attack-time-limit <seconds>",
      "stop an attack (or bound) that has not answered one point within this time: a timeout row, and its worker is replaced",
      positiveNumber,
      DEFAULT_ATTACK_TIME_LIMIT,
    )
    .option(
      "--opt <key=value...>",
      "attack options (rho attacks lists them): key=value for every attack that has key, attack.key=value for one",
    )
    .addOption(backendOption())
    .option("--json", "print one JSON object on stdout", false)
    .action(async (o) => {
      setExit(await evalCommand(o, out));
    });

  program
    .command("finetune")
    .description(
      "Fine-tune a model on adversarial examples (Bastani et al. §5): in each round the attack runs on " +
        "the original training points against the current model (an eval run: worker pool, progress, " +
        "resume), its verified examples rounded to whole pixels (dropped if no longer adversarial) are " +
        "added with their original labels, and training continues at the reduced rate. Every round's " +
        "model is saved with a MODEL_CARD.md in OUT/round-r/model; the same command continues a killed run. " +
        "Attacks bring their training options (alp: margin 3; lbfgs: alpha 0.15); --opt overrides them.",
    )
    .addOption(modelOption())
    .addOption(datasetOption())
    .addOption(dataDirOption())
    .requiredOption("--attack <name>", `attack that generates the examples: ${attackNames().join(", ")}`)
    .option("--rounds <T>", "rounds of attack + training", nonNegativeInt, 1)
    .option("--train-points <n>", "training points attacked in every round", nonNegativeInt, 1000)
    .option(
      "--sample <seed>",
      "draw those points at random with this seed instead of the first N",
      nonNegativeInt,
    )
    .option(
      "--train-images <n>",
      "original training images to train on (default: the whole split)",
      nonNegativeInt,
    )
    .option("--lr <rate>", "Adam learning rate (reduced: training started at 1e-3)", positiveNumber, 1e-4)
    .option("--epochs <n>", "epochs per round", nonNegativeInt, 1)
    .option("--batch-size <n>", "batch size", nonNegativeInt, 64)
    .option("--seed <n>", "seed of the shuffles", nonNegativeInt, 1)
    .addOption(solverOption(false))
    .addOption(targetOption())
    .option("--eps <pixels>", "the radius of fixed-epsilon attacks (fgsm, apgd, square)", positiveNumber, 20)
    .option(
      "--workers <k>",
      "worker threads for the attacks (default: one per core)",
      nonNegativeInt,
      defaultWorkers(),
    )
    .option("--opt <key=value...>", "attack options, over the attack's training options")
    .requiredOption("--out <dir>", "output directory (round-1/, round-2/, …)")
    .addOption(backendOption())
    .option("--json", "print one JSON object on stdout", false)
    .action(async (o) => {
      setExit(await finetuneCommand(o, out));
    });

  program
    .command("reproduce")
    .description(
      "The paper's fine-tuning experiment (Bastani et al. §5-6, Table 1, Figure 3): the model, fine-tuned " +
        "with each fine-tuning attack for T = 1..rounds, every model evaluated with every attack on the same " +
        "test points; writes OUT/report (Table 1, Figure 3 with a panel per measuring attack) and " +
        "OUT/finetuning.md. The full setting uses all of MNIST and prints its expected duration first; " +
        "--quick is estimated at about 49 min on 2 cores (19 min with --opt descent=false). Re-running continues where it stopped.",
    )
    .option(
      "--quick",
      "the small setting: 100 training points, 10,000 training images, 40 test points measured by lbfgs and alp",
      false,
    )
    .addOption(new Option("--model <dir|name>", "the original model").default("lenet"))
    .addOption(datasetOption())
    .addOption(dataDirOption())
    .requiredOption("--out <dir>", "output directory")
    .option(
      "--finetune-attacks <list>",
      "attacks that generate training examples (default lbfgs,alp,alp-walk,alp-pgd)",
    )
    .option(
      "--attacks <list>",
      "attacks that measure every model (default lbfgs,alp,alp-walk,alp-pgd; quick: lbfgs,alp,alp-walk)",
    )
    .option("--rounds <T>", "fine-tuning rounds (default 2)", nonNegativeInt)
    .option(
      "--train-points <n>",
      "training points attacked per round (default 60000; quick 100)",
      nonNegativeInt,
    )
    .option("--train-images <n>", "original training images (default 60000; quick 10000)", nonNegativeInt)
    .option("--test-points <n>", "test points evaluated (default 10000; quick 40)", nonNegativeInt)
    .option("--epochs <n>", "epochs per round (default 1)", nonNegativeInt)
    .option("--lr <rate>", "fine-tuning learning rate (default 1e-4)", positiveNumber)
    .option(
      "--opt <key=value...>",
      "attack options for the fine-tuning and the measuring runs: key=value for every attack that has key, attack.key=value for one (e.g. --opt descent=false)",
    )
    .option("--workers <k>", "worker threads (default: one per core)", nonNegativeInt, defaultWorkers())
    .addOption(backendOption())
    .option("--json", "print one JSON object on stdout", false)
    .action(async (o) => {
      setExit(await reproduceCommand(o, out));
    });

  program
    .command("compare")
    .description(
      "Compare two rho eval runs over the same data and points (e.g. two releases of a model): each " +
        "attack's adversarial frequency and severity side by side. Exit 1 when a threshold is crossed " +
        "(a CI gate); runs over different data or points are refused.",
    )
    .argument("<old>", "results directory of the earlier run")
    .argument("<new>", "results directory of the later run")
    .option(
      "--max-frequency-increase <points>",
      "fail if frequency rises by more (percentage points)",
      finiteNumber,
    )
    .option("--max-severity-decrease <pixels>", "fail if severity falls by more (pixels)", finiteNumber)
    .option(
      "--allow-partial",
      "compare runs that are unfinished or have failed points (the table says so); refused otherwise",
      false,
    )
    .option("--json", "print one JSON object on stdout", false)
    .action((oldDir: string, newDir: string, o) => {
      setExit(compareCommand(oldDir, newDir, o, out));
    });

  program
    .command("merge")
    .description(
      "Join the shard runs of one evaluation (rho eval --shard i/n, e.g. from a Kubernetes Indexed Job " +
        "or a Slurm job array) into one results directory equal to a single run's; or the results csv " +
        "files of one rho verify --instances --shard i/n run into one csv. Refuses shards of " +
        "different runs, missing or repeated shards, and unfinished ones.",
    )
    .argument("<shards...>", "the shards' results directories (rho eval) or results .csv files (rho verify)")
    .requiredOption("--out <path>", "directory (or .csv file) for the merged run (must not exist)")
    .option("--json", "print one JSON object on stdout", false)
    .action((shards: string[], o) => {
      const csv = shards.filter((s) => s.endsWith(".csv")).length;
      if (csv > 0 && csv < shards.length)
        throw new UsageError("give rho eval result directories or rho verify .csv files, not both");
      setExit(csv ? mergeVerifyCommand(shards, o, out) : mergeCommand(shards, o, out));
    });

  program
    .command("report")
    .description(
      "Write a report from one or more results directories (one model each): Table 1 (table1.md, " +
        "table1.csv: accuracy and, per attack, adversarial frequency and severity with 95% intervals), " +
        "Figure 3 (figure3.svg/.png: points with ρ̂ ≤ ε against ε, a line per model, a panel per attack), " +
        "Figure 2 (figure2/*.png: original, adversarial, scaled perturbation) and index.html. Prints Table 1.",
    )
    .argument("<runs...>", "results directories of rho eval or rho merge")
    .requiredOption("--out <dir>", "report directory (replaced)")
    .option("--names <list>", "comma-separated model names, one per run (default: model directory names)")
    .option("--eps <pixels>", "ε for frequency and severity (default: the runs' ε)", positiveNumber)
    .option("--max-eps <pixels>", "Figure 3's x range (default: the largest ρ̂, at least ε)", positiveNumber)
    .option("--examples <n>", "Figure 2: points per model", nonNegativeInt, 4)
    .addOption(dataDirOption())
    .option("--json", "print one JSON object on stdout", false)
    .action(async (runs: string[], o) => {
      setExit(await reportCommand(runs, o, out));
    });

  program
    .command("verify")
    .description(
      "Decide one VNN-LIB property (VNN-COMP's format) of a network: sat with a counterexample that float64 " +
        "and float32 forward passes both confirm, unsat when CROWN's bounds (sound for the float32 network) " +
        "rule out every case, alone or by branch and bound on ReLU splits with the MILP at its leaves, " +
        "else unknown or timeout. Stages: sampling, CROWN, APGD on the conditions' margin, alp-walk (boxes that are clipped L∞ balls), α-CROWN (slopes optimised per row), branch and bound. The property's X_i are the network's own inputs (no " +
        "pixel mapping). Exit 0 for sat and unsat, 1 for unknown and timeout, 2 for bad input.",
    )
    .option("--model <file>", "the network (an .onnx file, or a model directory)")
    .option("--spec <file>", "the property (.vnnlib)")
    .option("--timeout <seconds>", "time for the whole property", positiveNumber, 60)
    .option("--counterexample <file>", "for sat: write the counterexample there, as VNN-COMP does")
    .option(
      "--instances <file.csv>",
      "instead of --model/--spec: a benchmark's instances (network, property, seconds per row, paths relative to the csv)",
    )
    .option(
      "--out <results.csv>",
      "with --instances: one row per instance (network, property, result, seconds, stage); RESULTS.csv.json " +
        "describes the run (instances file, sha256, shard)",
    )
    .option("--resume", "with --instances: continue the results in --out", false)
    .option(
      "--shard <i/n>",
      "with --instances: only the instances whose row index is i modulo n (join the shards' csv files with rho merge)",
    )
    .option(
      "--workers <k>",
      "with --instances: instances run side by side, one worker thread (and core) each",
      nonNegativeInt,
      1,
    )
    .addOption(backendOption())
    .option("--json", "print one JSON object on stdout", false)
    .action(async (o) => {
      if (o.instances !== undefined) {
        if (o.model !== undefined || o.spec !== undefined)
          throw new UsageError("give --instances, or --model and --spec, not both");
        if (o.out === undefined) throw new UsageError("--instances needs --out RESULTS.csv");
        setExit(await verifyInstancesCommand(o, out));
      } else {
        if (o.model === undefined || o.spec === undefined)
          throw new UsageError("give --model and --spec (or --instances and --out)");
        if (o.shard !== undefined) throw new UsageError("--shard needs --instances");
        setExit(await verifyCommand(o, out));
      }
    });

  const data = program.command("data").description("Datasets that do not ship with rho.");
  data
    .command("fetch")
    .description(
      "Download a dataset from its publisher (CIFAR-10: the official binary archive), check every file's " +
        "size and md5 against the published ones, and unpack it; a cut download or a wrong checksum is " +
        "refused (exit 2) and leaves nothing behind. Offline, give the files' folder with --data-dir instead.",
    )
    .argument("<name>", "the dataset (cifar10)")
    .option("--dir <dir>", "where the files go (default: ~/.cache/rho/<folder>, or under $XDG_CACHE_HOME)")
    .option("--url <url>", "download from this address instead (a mirror of the same archive)")
    .option("--json", "print one JSON object on stdout", false)
    .action(async (name: string, o) => {
      setExit(await dataFetchCommand({ ...o, name }, out));
    });

  const lp = program.command("lp").description("Work with linear programs in CPLEX LP format.");
  lp.command("solve")
    .description(
      "Solve an LP/MILP file and print status, objective and solve time.\nExit 0 if optimal, 1 for any other status, 2 for bad input.",
    )
    .argument("<file>", "CPLEX LP format file")
    .addOption(solverOption())
    .option("--json", "print the whole result, primal values by variable name, as one JSON object", false)
    .option("--time-limit <seconds>", "wall-clock limit for the solve", positiveNumber)
    .action(async (file: string, o: { solver: string; json: boolean; timeLimit?: number }) => {
      setExit(await lpSolve(file, o, out));
    });

  return program;
}

/** Runs the CLI; returns the exit code. Bad input gives one line on stderr and exit code 2. */
export async function main(argv: string[], out: Output = processOutput): Promise<number> {
  let code = EXIT_OK;
  try {
    await loadPlugins(argv);
  } catch (e) {
    out.error(`rho: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  const program = buildProgram(out, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; everything else commander rejects is a usage error
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    // an option the run's solver cannot honour is found once the attack has it (lpMethod=interior
    // on glpk): the user's input all the same
    if (e instanceof UsageError || e instanceof AttackOptionError) {
      out.error(`rho: ${e.message}\n`);
      return EXIT_USAGE;
    }
    out.error(`rho: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT_USAGE + 1;
  }
}
