/**
 * Where a command writes. By convention `--json` output is one JSON object on stdout, and
 * progress and diagnostics go to stderr.
 */
export interface Output {
  line(text: string): void;
  json(value: unknown): void;
  info(text: string): void;
  /** Raw text for stderr (errors, commander's usage messages). */
  error(text: string): void;
}

export const processOutput: Output = {
  line: (text) => process.stdout.write(`${text}\n`),
  json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  info: (text) => process.stderr.write(`${text}\n`),
  error: (text) => process.stderr.write(text),
};
