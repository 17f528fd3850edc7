import { solverConformance } from "@rho/solvers/testing";
import { describe } from "vitest";
import { createGlpkSolver } from "../src/index.js";

describe("glpk", () => solverConformance(createGlpkSolver));
