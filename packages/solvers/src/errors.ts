/** Base class of solver-layer errors (as opposed to solve outcomes, which are statuses). */
export class SolverError extends Error {
  override name = "SolverError";
}

/** A request the chosen solver cannot honour, e.g. integer columns on an LP-only solver. */
export class UnsupportedError extends SolverError {
  override name = "UnsupportedError";
}

/** No solver is registered under the requested name. */
export class UnknownSolverError extends SolverError {
  override name = "UnknownSolverError";
  constructor(
    readonly requested: string,
    readonly known: readonly string[],
  ) {
    super(`unknown solver "${requested}"; known solvers: ${known.join(", ")}`);
  }
}

/** Refuses `method: "interior"` on a solver without an interior point method (say so, not ignore it). */
export function checkMethod(
  solver: string,
  interiorPoint: boolean,
  method: "simplex" | "interior" | undefined,
): void {
  if (method === "interior" && !interiorPoint)
    throw new UnsupportedError(`${solver} has no interior point method (use highs, or method simplex)`);
}
