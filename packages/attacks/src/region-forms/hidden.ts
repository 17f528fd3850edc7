import { concatRows, type LinearProgram, type RowBatch, rowActivities, selectRows } from "@rho/constraints";
import { formsToRows, HiddenRegionForm, type LinearRegion } from "@rho/encoders";
import { RowPool, solveIteratively } from "@rho/solvers";
import {
  type RegionFormulation,
  type RegionLpOptions,
  type RegionSolve,
  solveOptions,
  spent,
  spentIn,
} from "./form.js";
import { TIGHT, withSlack } from "./pixels.js";

/**
 * The region LP over hidden variables (`HiddenRegionForm`): the pixels and every mixing layer's
 * outputs are columns tied by the layers' sparse equalities, a ReLU's sign is a bound on a column
 * and a max-pool winner a row of two nonzeros. The equalities and bounds are always in the LP;
 * iterative constraint solving adds the max-pool rows the current solution violates (checked on
 * the LP's own hidden values, no forward pass).
 */
export class HiddenFormulation implements RegionFormulation {
  readonly name = "hidden";
  readonly form: HiddenRegionForm;
  private tight?: number[];
  constructor(
    readonly region: LinearRegion,
    /** Columns the caller's base LP has after the pixels. */
    reserved: number,
  ) {
    this.form = new HiddenRegionForm(region, reserved);
  }

  targetRows(target: number, margin: number, slack?: number): RowBatch {
    const layer = this.region.net.layers.length;
    const others = Array.from({ length: this.region.net.outputSize }, (_, j) => j).filter(
      (j) => j !== target,
    );
    const forms = others.map((j) => withSlack(this.form.combination(layer, [target, j], [1, -1]), slack));
    return formsToRows(forms, (f) => [margin - f.constant, Number.POSITIVE_INFINITY]);
  }

  async solve(base: LinearProgram, o: RegionLpOptions): Promise<RegionSolve> {
    const f = this.form;
    const solveOpts = solveOptions(o);
    const wide = f.widen(base);
    if (!o.iterative) {
      const result = await o.solver.solve({ ...wide, rows: concatRows(wide.rows, f.regionRows) }, solveOpts);
      return { result, rounds: 1, regionRowsUsed: f.boundCount + f.regionRows.count, ...spent(result) };
    }
    // sparse rows: seeded with the tight ones, every violated row added (measured before the
    // pixel form's defaults changed; the hidden form is chosen on no shipped model)
    const seeded = o.seed !== "none" ? this.tightRows() : [];
    const pool = new RowPool(f.regionRows, o.rowsPerRound ?? Number.POSITIVE_INFINITY, seeded);
    const it = await solveIteratively(
      o.solver,
      { ...wide, rows: concatRows(wide.rows, selectRows(f.regionRows, seeded)) },
      pool,
      solveOpts,
    );
    return {
      result: it.result,
      rounds: it.rounds,
      regionRowsUsed: f.boundCount + pool.usedRows,
      ...spentIn(it),
    };
  }

  /** Max-pool rows that x* satisfies with equality (tied windows), computed once. */
  private tightRows(): number[] {
    if (!this.tight) {
      const r = this.form.regionRows;
      const a = new Float64Array(r.count);
      const m = new Float64Array(r.count);
      rowActivities(r, this.form.columnValues(), a, m);
      this.tight = [];
      for (let k = 0; k < r.count; k++)
        if ((a[k] as number) - (r.lower[k] as number) <= TIGHT * Math.max(1, m[k] as number))
          this.tight.push(k);
    }
    return this.tight;
  }
}
