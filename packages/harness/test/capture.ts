import { main, type Output } from "../src/index.js";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output. */
export async function rho(...args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const out: Output = {
    line: (t) => {
      stdout += `${t}\n`;
    },
    json: (v) => {
      stdout += `${JSON.stringify(v)}\n`;
    },
    info: (t) => {
      stderr += `${t}\n`;
    },
    error: (t) => {
      stderr += t;
    },
  };
  const code = await main(["node", "rho", ...args], out);
  return { code, stdout, stderr };
}
