/** Base class of every error the constraint IR raises, so callers can tell ours from bugs. */
export class ConstraintError extends Error {
  override name = "ConstraintError";
}

/** A row, bound or program that is malformed (bad index, NaN, lower > upper, length mismatch). */
export class InvalidModelError extends ConstraintError {
  override name = "InvalidModelError";
}

/** An operation that needs a disjunction-free system was given one with disjunctions. */
export class DisjunctionError extends ConstraintError {
  override name = "DisjunctionError";
}

/** The point given to `restrictAt` satisfies no alternative of some disjunction. */
export class PointOutsideError extends ConstraintError {
  override name = "PointOutsideError";
}

/** Big-M lowering needs finite bounds on every variable a disjunct mentions. */
export class UnboundedDisjunctError extends ConstraintError {
  override name = "UnboundedDisjunctError";
}

/** CPLEX LP text that cannot be parsed; carries the 1-based line number. */
export class LpParseError extends ConstraintError {
  override name = "LpParseError";
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}
