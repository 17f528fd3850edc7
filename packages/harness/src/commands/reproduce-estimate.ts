// How long `rho reproduce` will take, from per-point times measured on the shipped models.
import type { Network } from "@rho/models";

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

/** Measured times on one shipped model: a network is estimated from the profile nearest its size. */
export interface TimingProfile {
  /** The shipped model (`--model` name) the times were measured on. */
  readonly model: string;
  /** Its ReLU and max-pool outputs: the size a network is matched by (ALP's disjunctions). */
  readonly piecewiseUnits: number;
  /** Seconds per point and attack, one core; entries as in SECONDS_PER_POINT. */
  readonly secondsPerPoint: Readonly<Record<string, number>>;
  /** Fine-tuning's training images a second (tfjs + wasm, one core). */
  readonly trainImagesPerSecond: number;
}

export const LENET_PROFILE: TimingProfile = {
  model: "lenet",
  piecewiseUnits: 4_180,
  secondsPerPoint: SECONDS_PER_POINT,
  trainImagesPerSecond: 500,
};

/**
 * The shipped NiN (CIFAR-10; 630,784 ReLUs, 24,576 max-pool outputs), measured with 2 workers on
 * 2 cores: medians over docs/reproduction/cifar10's 100 seeded test points (alp: 88 of its 90
 * correct points "no example within 32", the LP's last round proving it); alp-walk's one measured point
 * (benchmarks/alp, descent off, 779 s on a NiN in training: descent adds a region LP a step); with
 * descent off on the shipped NiN, point 28 (`rho attack`, two final LPs) and, with `firstLp=false`
 * (one final LP), the median of docs/reproduction/cifar10's 11 alp-walk rows on correctly
 * classified points (both networks, one worker each, side by side: 488–2,136 s), and with
 * `bisections=40` too the median of its 63 rows there (the walks shrink the ball to ~1.5 px,
 * where the one LP is cheaper: 100–301 s);
 * alp-pgd without descent the median of the 20 training points of docs/reproduction/cifar10's
 * fine-tuning (margin 3: 7–11 LP rounds over the PGD example's region);
 * training at 9 images/s (`rho train --arch nin`, tfjs + wasm).
 */
export const NIN_PROFILE: TimingProfile = {
  model: "nin",
  piecewiseUnits: 655_360,
  secondsPerPoint: {
    alp: 122,
    "alp-walk": 779,
    "alp-walk descent=false": 1782,
    "alp-walk descent=false firstLp=false": 825,
    "alp-walk descent=false firstLp=false bisections=40": 144,
    "alp-pgd descent=false": 637,
    lbfgs: 12.3,
    fgsm: 1.16,
  },
  trainImagesPerSecond: 9,
};

export const TIMING_PROFILES: readonly TimingProfile[] = [LENET_PROFILE, NIN_PROFILE];

/** A network's ReLU and max-pool outputs: each one a disjunction in the paper's C_f. */
export function piecewiseUnits(net: Network): number {
  let units = 0;
  net.layers.forEach((layer, i) => {
    if (layer.kind === "relu" || layer.kind === "maxpool")
      units += (net.shapes[i + 1] ?? []).reduce((a, b) => a * b, 1);
  });
  return units;
}

/** The profile nearest the network in piecewise units, on a log scale. */
export function profileFor(
  net: Network,
  profiles: readonly TimingProfile[] = TIMING_PROFILES,
): TimingProfile {
  const units = Math.max(1, piecewiseUnits(net));
  const distance = (p: TimingProfile) => Math.abs(Math.log(units / p.piecewiseUnits));
  return profiles.reduce((best, p) => (distance(p) < distance(best) ? p : best));
}

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
 * attack's resolved options; `profile` the measured times to scale (the nearest shipped model's).
 */
export function estimateSeconds(
  s: ReproduceShape,
  options: (attack: string) => Readonly<Record<string, unknown>>,
  workers: number,
  profile: TimingProfile = LENET_PROFILE,
): number {
  const perPoint = (a: string) => secondsPerPoint(a, options(a), profile.secondsPerPoint);
  const models = modelCount(s);
  const attacking =
    s.rounds * s.trainPoints * s.finetuneAttacks.reduce((t, a) => t + perPoint(a), 0) +
    models * s.testPoints * s.attacks.reduce((t, a) => t + perPoint(a), 0);
  return (
    attacking / workers +
    (s.finetuneAttacks.length * s.rounds * s.epochs * s.trainImages) / profile.trainImagesPerSecond
  );
}
