import { UnknownSolverError } from "./errors.js";
import { createGlpkSolver } from "./glpk.js";
import { createHighsSolver } from "./highs.js";
import { createJslpSolver } from "./jslp.js";
import type { LpSolver } from "./types.js";

export interface SolverEntry {
  readonly name: string;
  readonly description: string;
  readonly create: () => Promise<LpSolver>;
}

const entries = new Map<string, SolverEntry>();
const instances = new Map<string, Promise<LpSolver>>();

/** Makes a solver available by name to `getSolver` and the CLI. */
export function registerSolver(entry: SolverEntry): void {
  entries.set(entry.name, entry);
  instances.delete(entry.name);
}

export function solverEntries(): readonly SolverEntry[] {
  return [...entries.values()];
}

export function solverNames(): string[] {
  return [...entries.keys()];
}

/** The solver registered under `name` (created once, then shared). */
export function getSolver(name: string): Promise<LpSolver> {
  const entry = entries.get(name);
  if (!entry) return Promise.reject(new UnknownSolverError(name, solverNames()));
  let inst = instances.get(name);
  if (!inst) {
    inst = entry.create();
    instances.set(name, inst);
  }
  return inst;
}

registerSolver({
  name: "highs",
  description: "HiGHS (WebAssembly); persistent model, warm-started re-solves, MILP",
  create: createHighsSolver,
});
registerSolver({
  name: "glpk",
  description: "GLPK via glpk.js (WebAssembly); rebuilt on every solve, MILP",
  create: createGlpkSolver,
});
registerSolver({
  name: "jslp",
  description: "javascript-lp-solver (pure JavaScript, dense tableau); LP only",
  create: createJslpSolver,
});
