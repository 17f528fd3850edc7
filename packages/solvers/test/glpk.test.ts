import { describe } from "vitest";
import { createGlpkSolver } from "../src/index.js";
import { solverConformance } from "./conformance.js";

describe("glpk", () => solverConformance(createGlpkSolver));
