export { inBox, violates } from "./semantics.js";
export { type OutputRow, parseVnnlib, type SpecCase, VnnlibError, type VnnSpec } from "./vnnlib.js";
