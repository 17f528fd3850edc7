// How long `rho reproduce` will take, from per-point times measured on the shipped LeNet.

/**
 * Seconds per point on the shipped LeNet, one core (benchmarks/attacks: descent-rows.json for
 * alp-walk, descent.json for alp-pgd, alp-rows-100.json / alp-maxeps-100.json for alp, 100 test
 * points each): medians, except alp-walk's means (its points take ~0.4 s without an example and ~9 s
 * with one). An entry "attack key=value …" is the time with those options: each attack takes the
 * most specific entry its options match, so `--opt descent=false` is estimated without descent.
 */
export const SECONDS_PER_POINT: Readonly<Record<string, number>> = {
  alp: 0.28,
  "alp maxEps=255": 5.4,
  lbfgs: 0.85,
  "alp-walk": 4.8,
  "alp-walk descent=false": 1.7,
  "alp-pgd": 11.3,
  "alp-pgd descent=false": 2.0,
  fgsm: 0.01,
  pgd: 0.7,
};
/** An attack without an entry. */
const UNKNOWN_SECONDS = 5;
const TRAIN_IMAGES_PER_SECOND = 500;

/** One attack's seconds a point with these (resolved) options. */
export function secondsPerPoint(
  attack: string,
  options: Readonly<Record<string, unknown>>,
  table: Readonly<Record<string, number>> = SECONDS_PER_POINT,
): number {
  let best: { seconds: number; specific: number } | undefined;
  for (const [entry, seconds] of Object.entries(table)) {
    const [name, ...settings] = entry.split(" ");
    if (name !== attack) continue;
    const matches = settings.every((kv) => {
      const eq = kv.indexOf("=");
      return String(options[kv.slice(0, eq)]) === kv.slice(eq + 1);
    });
    if (matches && (!best || settings.length > best.specific)) best = { seconds, specific: settings.length };
  }
  return best?.seconds ?? UNKNOWN_SECONDS;
}

export interface ReproduceShape {
  readonly finetuneAttacks: readonly string[];
  readonly attacks: readonly string[];
  readonly rounds: number;
  readonly trainPoints: number;
  readonly trainImages: number;
  readonly testPoints: number;
  readonly epochs: number;
}

/** The original model and one per fine-tuning attack and round. */
export const modelCount = (s: Pick<ReproduceShape, "finetuneAttacks" | "rounds">): number =>
  1 + s.finetuneAttacks.length * s.rounds;

/**
 * Seconds for the whole experiment on `workers` workers: attacking the training points of every
 * round, measuring every model on the test points, and fine-tuning. `options(attack)` gives each
 * attack's resolved options.
 */
export function estimateSeconds(
  s: ReproduceShape,
  options: (attack: string) => Readonly<Record<string, unknown>>,
  workers: number,
): number {
  const perPoint = (a: string) => secondsPerPoint(a, options(a));
  const models = modelCount(s);
  const attacking =
    s.rounds * s.trainPoints * s.finetuneAttacks.reduce((t, a) => t + perPoint(a), 0) +
    models * s.testPoints * s.attacks.reduce((t, a) => t + perPoint(a), 0);
  return (
    attacking / workers +
    (s.finetuneAttacks.length * s.rounds * s.epochs * s.trainImages) / TRAIN_IMAGES_PER_SECOND
  );
}
