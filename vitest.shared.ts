import { fileURLToPath } from "node:url";
import type { ViteUserConfig } from "vitest/config";

// Tests import sibling workspace packages from source, so `vitest` needs no prior build.
const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export const sharedTestConfig: ViteUserConfig = {
  resolve: {
    alias: {
      "@rho/constraints": pkg("constraints"),
      "@rho/solvers": pkg("solvers"),
      "@rho/harness": pkg("harness"),
      "@rho/datasets": pkg("datasets"),
      "@rho/models": pkg("models"),
      "@rho/encoders": pkg("encoders"),
      "@rho/attacks": pkg("attacks"),
      "@rho/metrics": pkg("metrics"),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: [fileURLToPath(new URL("./vitest.setup.ts", import.meta.url))],
    testTimeout: 60_000,
  },
};
