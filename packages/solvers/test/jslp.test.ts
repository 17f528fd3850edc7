import { describe } from "vitest";
import { createJslpSolver } from "../src/index.js";
import { solverConformance } from "./conformance.js";

describe("jslp", () => solverConformance(createJslpSolver));
