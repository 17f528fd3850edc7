import { cpus } from "node:os";
import type { BackendName } from "@rho/models";
import { evaluate } from "../api/evaluate.js";
import { attacksByName, givenOptions, parseTarget } from "../attack-options.js";
import { EXIT_OK, UsageError } from "../errors.js";
import { parseShard, RESULTS_FILE } from "../eval/spec.js";
import { pct, withInterval } from "../format.js";
import type { Output } from "../output.js";
import { evalProgress } from "../progress.js";

export interface EvalOptions {
  model: string;
  dataset: string;
  dataDir?: string;
  split: "train" | "test";
  attacks: string;
  solver?: string;
  target: string;
  points: number;
  sample?: number;
  shard?: string;
  eps: number;
  out: string;
  resume: boolean;
  workers: number;
  opt?: string[];
  backend: BackendName | "auto";
  json: boolean;
  /** Certifying methods run beside the attacks (comma-separated): each point's bracket. */
  bounds?: string;
  /** Their largest ε and, for milp, its time limit per point. */
  boundEpsMax?: number;
  boundTimeLimit?: number;
  /** Seconds one attack (or bound method) may take on one point before it is stopped: a timeout row. */
  attackTimeLimit?: number;
}

/** `rho eval`: the CLI's flags → `evaluate` → φ̂ and μ̂ per attack (and the bracket) printed. */
export async function evalCommand(o: EvalOptions, out: Output): Promise<number> {
  const names = list(o.attacks);
  const attacks = attacksByName(names);
  if (!(o.workers >= 1)) throw new UsageError(`--workers must be at least 1, got ${o.workers}`);
  const target = parseTarget(o.target);
  const given = givenOptions(attacks, { named: { solver: o.solver }, ...(o.opt ? { pairs: o.opt } : {}) });
  const shard = o.shard === undefined ? undefined : parseShard(o.shard);
  const bounds = list(o.bounds ?? "");
  const progress = evalProgress(out);
  try {
    const run = await evaluate(
      {
        model: o.model,
        dataset: o.dataset,
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        split: o.split,
        attacks: names.map((name, i) => ({ name, options: given[i] ?? {} })),
        bounds,
        ...(o.boundEpsMax === undefined ? {} : { boundEpsMax: o.boundEpsMax }),
        ...(o.boundTimeLimit === undefined ? {} : { boundTimeLimit: o.boundTimeLimit }),
        target,
        points: o.points,
        ...(o.sample === undefined ? {} : { sample: o.sample }),
        ...(shard ? { shard: { index: shard[0], count: shard[1] } } : {}),
        eps: o.eps,
        out: o.out,
        resume: o.resume,
        workers: o.workers,
        backend: o.backend,
        ...(o.attackTimeLimit === undefined ? {} : { attackTimeLimit: o.attackTimeLimit }),
      },
      progress.hooks,
    );
    progress.stop();
    const { spec, summary, bracket } = run;
    if (o.json) out.json({ out: o.out, spec, summary, ...(bracket ? { bracket } : {}) });
    else {
      out.line(
        `${o.model} on ${o.dataset} ${o.split}, ${spec.points.length} points, ε = ${o.eps}: results in ${o.out}/${RESULTS_FILE}`,
      );
      for (const s of summary)
        out.line(
          `${s.attack.padEnd(9)} accuracy ${pct(s.accuracy.value)}  frequency ${withInterval(s.frequency, "pct")}  ` +
            (s.family === "fixed-epsilon"
              ? "severity — (fixed-ε attack)  "
              : `severity ${withInterval(s.severity, "px")} px  `) +
            `(${s.adversarial} of ${s.correct} correct points; ${s.misclassified} misclassified` +
            `${s.failed ? `; ${s.failed} failed (error or timeout)` : ""})`,
        );
      if (bracket)
        out.line(
          `bracket (${bounds.join(", ")} and every attack) at ε = ${o.eps}: certified robust ${withInterval(bracket.certified, "pct")}, ` +
            `proven non-robust ${withInterval(bracket.nonRobust, "pct")}, unknown ${withInterval(bracket.unknown, "pct")} of ${bracket.correct} correct points` +
            (bracket.conflicting
              ? `; ${bracket.conflicting} point(s) with a verified example inside a certified radius: a bound method is unsound there`
              : ""),
        );
    }
    return EXIT_OK;
  } finally {
    progress.stop();
  }
}

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

export const defaultWorkers = (): number => Math.max(1, cpus().length);
