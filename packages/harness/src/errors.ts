/** An error caused by the user's input (bad file, unknown name, bad flag): one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const EXIT_OK = 0;
/** The command ran but its answer is negative (e.g. a solve that did not end optimal). */
export const EXIT_NOT_OK = 1;
export const EXIT_USAGE = 2;
