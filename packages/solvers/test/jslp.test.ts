import { solverConformance } from "@rho/solvers/testing";
import { describe } from "vitest";
import { createJslpSolver } from "../src/index.js";

describe("jslp", () => solverConformance(createJslpSolver));
