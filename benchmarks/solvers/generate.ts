import { concatRows, type LinearProgram, minLinfProgram, type RowBatch } from "@rho/constraints";
import { prng } from "@rho/models";

/**
 * LPs shaped like the paper's robustness LP after the linear-region rows have been composed
 * down to the input variables (what the encoders will produce):
 *
 *   min t  s.t.  w_r·x + b_r ≥ 0   (m region rows, satisfied at x* with some slack)
 *                c·x ≥ d          (the target label must win: violated at x*)
 *                |x_i − x*_i| ≤ t (2n norm rows),   0 ≤ x ≤ 255,  t ≥ 0
 *
 * Region rows mix receptive-field sizes like a LeNet's (25, 150 and all n inputs). Every
 * instance is feasible: the point x* + 5·sign(c) satisfies all rows by construction.
 * `base` holds the norm and target rows (the paper's starting set); `pool` the region rows.
 */
export interface Instance {
  readonly name: string;
  readonly cols: number;
  readonly regionRows: number;
  readonly nonzeros: number;
  readonly base: LinearProgram;
  readonly pool: RowBatch;
}

export function generate(name: string, n: number, m: number, seed = 1): Instance {
  const rand = prng(seed);
  const xStar = Float64Array.from({ length: n }, () => Math.floor(rand() * 256));
  const c = Float64Array.from({ length: n }, () => rand() * 2 - 1);
  // Step direction of the witness point, kept inside [0, 255].
  const step = Float64Array.from(c, (v, i) => {
    const s = 5 * Math.sign(v);
    const x = (xStar[i] as number) + s;
    return x < 0 || x > 255 ? 0 : s;
  });
  const widths = [Math.min(25, n), Math.min(150, n), n];
  const starts = new Int32Array(m + 1);
  const idx: number[] = [];
  const val: number[] = [];
  const lower = new Float64Array(m);
  const pick = new Int32Array(n);
  for (let r = 0; r < m; r++) {
    const k = widths[r % 3] as number;
    // k distinct indices: a partial Fisher–Yates shuffle
    for (let i = 0; i < n; i++) pick[i] = i;
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rand() * (n - i));
      [pick[i], pick[j]] = [pick[j] as number, pick[i] as number];
    }
    const row = Array.from(pick.subarray(0, k)).sort((a, b) => a - b);
    let atStar = 0;
    let atWitness = 0;
    for (const j of row) {
      const w = rand() * 2 - 1;
      idx.push(j);
      val.push(w);
      atStar += w * (xStar[j] as number);
      atWitness += w * ((xStar[j] as number) + (step[j] as number));
    }
    starts[r + 1] = idx.length;
    // w·x ≥ lower with both x* and the witness inside, plus random slack
    lower[r] = Math.min(atStar, atWitness) - rand() * 20;
  }
  const pool: RowBatch = {
    count: m,
    starts,
    indices: Int32Array.from(idx),
    values: Float64Array.from(val),
    lower,
    upper: new Float64Array(m).fill(Number.POSITIVE_INFINITY),
  };

  let cStar = 0;
  let cWitness = 0;
  for (let i = 0; i < n; i++) {
    cStar += (c[i] as number) * (xStar[i] as number);
    cWitness += (c[i] as number) * ((xStar[i] as number) + (step[i] as number));
  }
  // Base rows: the target row c·x ≥ …, then |x − x*| ≤ t over the 0–255 box (column n is t)
  const target: RowBatch = {
    count: 1,
    starts: Int32Array.of(0, n),
    indices: Int32Array.from({ length: n }, (_, i) => i),
    values: Float64Array.from({ length: n }, (_, i) => c[i] as number),
    lower: Float64Array.of(cStar + 0.5 * (cWitness - cStar)),
    upper: Float64Array.of(Number.POSITIVE_INFINITY),
  };
  const norm = minLinfProgram(xStar, [0, 255]);
  const base: LinearProgram = { ...norm, rows: concatRows(target, norm.rows) };
  return { name, cols: n + 1, regionRows: m, nonzeros: idx.length, base, pool };
}

/** The benchmark's sizes, up to a LeNet restriction (~800 inputs, ~15,000 rows of up to 800 nonzeros). */
export const SIZES: readonly { name: string; n: number; m: number }[] = [
  { name: "xs", n: 50, m: 500 },
  { name: "s", n: 200, m: 2000 },
  { name: "m", n: 400, m: 6000 },
  { name: "lenet", n: 784, m: 15000 },
];
