import { concatRows, type LinearProgram, type RowBatch } from "@rho/constraints";
import { formsToRows, type LinearRegion } from "@rho/encoders";
import { RowPool, type RowSource, solveIteratively, supportsInteriorPoint, withAllRows } from "@rho/solvers";
import {
  type RegionFormulation,
  type RegionLpOptions,
  type RegionSolve,
  solveOptions,
  spent,
  spentIn,
} from "./form.js";

/**
 * Iterative solving's defaults over the pixels: no seed rows, and at most half as many rows a
 * round as there are pixels, the most violated first. Rows over the pixels are dense, the LP's
 * cost grows with them, and a vertex needs at most n + 1 active rows: a round that adds
 * thousands buys the solver work that the next round's vertex mostly does not use. Chosen by
 * the sweep in benchmarks/alp/README.md ("Results with the rows per round capped": LeNet and
 * NiN-sized points, t bounded and unbounded).
 */
const ROWS_PER_PIXEL = 0.5;

/**
 * A capped round's share of costly rows (`LinearRegion.costly`: units reading most of the
 * pixels, a reverse pass through most of the network each) while cheaper rows are violated too,
 * from INTERIOR_FROM_PIXELS pixels up. On NiN the last block's rows cost ~0.16 s each and filled
 * a quarter of the first round; the first blocks' cheap rows do most of the cutting. On the
 * MNIST networks a costly row costs milliseconds and capping them only added rounds, so they are
 * left alone (benchmarks/alp/README.md, "Costly rows capped on NiN").
 */
export const COSTLY_SHARE = 1 / 24;

/**
 * "auto" LP method over the pixels: an interior point method (then crossover to a vertex) from this
 * many pixels up, where the solver has one. Its cost grows more gently with the rows' size than
 * the simplex's: on the shipped LeNet (784 pixels) the simplex is faster, on a NiN-sized network
 * (3,072) the interior point method (benchmarks/alp/README.md, "The interior point method on NiN").
 */
export const INTERIOR_FROM_PIXELS = 1500;

/** Rows a·x ≥ lower tight at x within this tolerance (scaled by the row's magnitude) seed iterative solving. */
export const TIGHT = 1e-9;

/**
 * The paper's form (§4): the region's inequalities and the logits composed through the network
 * into rows over the pixels alone, built lazily by reverse passes (`LinearRegion`); iterative
 * constraint solving checks all of them with one forward pass of the linearised network.
 */
export class PixelFormulation implements RegionFormulation {
  readonly name = "pixels";
  private seeded?: { ids: number[]; rows: RowBatch };
  constructor(readonly region: LinearRegion) {}

  targetRows(target: number, margin: number, slack?: number): RowBatch {
    const region = this.region;
    const layer = region.net.layers.length;
    const others = Array.from({ length: region.net.outputSize }, (_, j) => j).filter((j) => j !== target);
    // one reverse pass for all of them (on NiN-sized networks each alone walks every layer)
    const forms = region
      .combinations(
        layer,
        others.map((j) => ({ idx: [target, j], w: [1, -1] })),
      )
      .map((f) => withSlack(f, slack));
    return formsToRows(forms, (f) => [margin - f.constant, Number.POSITIVE_INFINITY]);
  }

  async solve(base: LinearProgram, o: RegionLpOptions): Promise<RegionSolve> {
    const region = this.region;
    const interior = region.net.inputSize >= INTERIOR_FROM_PIXELS && supportsInteriorPoint(o.solver);
    const solveOpts = solveOptions(o, interior ? "interior" : "simplex");
    if (!o.iterative) {
      const all = region.rows(Array.from({ length: region.size }, (_, k) => k));
      const result = await o.solver.solve(withAllRows(base, all), solveOpts);
      return { result, rounds: 1, regionRowsUsed: region.size, ...spent(result) };
    }
    const seeded = o.seed === "tight" ? this.tightRows() : { ids: [], rows: region.rows([]) };
    const perRound = o.rowsPerRound ?? Math.ceil(region.net.inputSize * ROWS_PER_PIXEL);
    const pool = new RowPool(
      this.source(),
      perRound,
      seeded.ids,
      region.net.inputSize >= INTERIOR_FROM_PIXELS
        ? { costlyPerRound: Math.ceil(perRound * COSTLY_SHARE) }
        : {},
    );
    const it = await solveIteratively(
      o.solver,
      { ...base, rows: concatRows(base.rows, seeded.rows) },
      pool,
      solveOpts,
    );
    return { result: it.result, rounds: it.rounds, regionRowsUsed: pool.usedRows, ...spentIn(it) };
  }

  /** The region rows tight at x* (the "tight" seed), built once and shared by every LP over this region. */
  tightRows(): { ids: number[]; rows: RowBatch } {
    if (!this.seeded) {
      const { values, scales } = this.region.evaluateCenter();
      const ids: number[] = [];
      values.forEach((v, k) => {
        if (v <= TIGHT * Math.max(1, scales[k] as number)) ids.push(k);
      });
      this.seeded = { ids, rows: this.region.rows(ids) };
    }
    return this.seeded;
  }

  /** Every region inequality as a candidate row: violations by one forward pass, rows by reverse passes. */
  source(): RowSource {
    const region = this.region;
    const n = region.net.inputSize;
    return {
      count: region.size,
      violations: (x) => {
        const { values, scales } = region.evaluate(x.subarray(0, n));
        return values.map((v, k) => -v / Math.max(1, scales[k] as number));
      },
      rows: (ids) => region.rows(ids),
      costly: (id) => region.costly(id),
    };
  }
}

/** a·x + c − slack (the slack column merged in at its place, so indices stay increasing). */
export function withSlack<F extends { indices: Int32Array; values: Float64Array; constant: number }>(
  f: F,
  slack: number | undefined,
): F {
  if (slack === undefined) return f;
  const at = f.indices.findIndex((i) => i >= slack);
  const k = at < 0 ? f.indices.length : at;
  if (f.indices[k] === slack) {
    const values = f.values.slice();
    values[k] = (values[k] as number) - 1;
    return { ...f, values };
  }
  return {
    ...f,
    indices: Int32Array.from([...f.indices.subarray(0, k), slack, ...f.indices.subarray(k)]),
    values: Float64Array.from([...f.values.subarray(0, k), -1, ...f.values.subarray(k)]),
  };
}
