/**
 * The paper's constraint language above linear relations: conjunction and disjunction.
 * Rows live in a RowStore and are referenced by index, so a formula holds no coefficients.
 */
export type Formula = RowRef | And | Or;

export interface RowRef {
  readonly kind: "row";
  readonly row: number;
}
export interface And {
  readonly kind: "and";
  readonly parts: readonly Formula[];
}
export interface Or {
  readonly kind: "or";
  readonly parts: readonly Formula[];
}

export const rowRef = (row: number): RowRef => ({ kind: "row", row });
export const and = (...parts: Formula[]): And => ({ kind: "and", parts });
export const or = (...parts: Formula[]): Or => ({ kind: "or", parts });

/** Calls `visit` on every row index a formula mentions. */
export function forEachRow(f: Formula, visit: (row: number) => void): void {
  switch (f.kind) {
    case "row":
      visit(f.row);
      return;
    case "and":
    case "or":
      for (const p of f.parts) forEachRow(p, visit);
  }
}
