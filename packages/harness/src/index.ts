export { buildProgram, main } from "./cli.js";
export { EXIT_NOT_OK, EXIT_OK, EXIT_USAGE, UsageError } from "./errors.js";
export type { Output } from "./output.js";
