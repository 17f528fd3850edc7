import { describe } from "vitest";
import { createHighsSolver } from "../src/index.js";
import { solverConformance } from "./conformance.js";

describe("highs", () => solverConformance(createHighsSolver));
