import { type Formula, type Or, rowRef } from "./formula.js";
import { growInt32 } from "./growable.js";
import { type Relation, RowStore } from "./rows.js";
import { Variables } from "./variables.js";

/**
 * A constraint C over indexed real variables: the conjunction of `required` rows and of
 * `disjunctions`. Top-level rows are stored as integers only; formula objects exist only
 * under disjunctions (a ReLU is one `or` of two small `and`s).
 */
export class ConstraintSystem {
  readonly vars = new Variables();
  readonly rows = new RowStore();
  private readonly top = growInt32(1024);
  private readonly ors: Or[] = [];

  /** Creates a row w·x + b ⋈ 0 without adding it to the system; use it inside `and`/`or`. */
  row(indices: ArrayLike<number>, values: ArrayLike<number>, constant: number, relation: Relation): Formula {
    return rowRef(this.rows.add(indices, values, constant, relation, this.vars.count));
  }

  /** Conjoins a formula to the system: rows and conjunctions are flattened, disjunctions kept. */
  require(f: Formula): void {
    switch (f.kind) {
      case "row":
        this.top.push(f.row);
        return;
      case "and":
        for (const p of f.parts) this.require(p);
        return;
      case "or":
        // A one-alternative disjunction is just its alternative.
        if (f.parts.length === 1) this.require(f.parts[0] as Formula);
        else this.ors.push(f);
    }
  }

  /** Adds and requires w·x + b ⋈ 0; returns the row index. */
  add(indices: ArrayLike<number>, values: ArrayLike<number>, constant: number, relation: Relation): number {
    const r = this.rows.add(indices, values, constant, relation, this.vars.count);
    this.top.push(r);
    return r;
  }

  /** Indices of the rows conjoined at top level (a view; copy before adding rows). */
  requiredRows(): Int32Array {
    return this.top.view();
  }
  get disjunctions(): readonly Or[] {
    return this.ors;
  }
}
