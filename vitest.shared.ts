import { fileURLToPath } from "node:url";
import type { ViteUserConfig } from "vitest/config";

// Tests import sibling workspace packages from source, so `vitest` needs no prior build. Exact
// matches: "@rho/solvers/testing" must not become ".../src/index.ts/testing".
const src = (file: string) => fileURLToPath(new URL(`./packages/${file}`, import.meta.url));
const PACKAGES = [
  "constraints",
  "solvers",
  "harness",
  "datasets",
  "models",
  "encoders",
  "attacks",
  "metrics",
  "bounds",
  "verify",
];
const TESTING: Record<string, string> = {
  constraints: "constraints/src/testing.ts",
  models: "models/src/testing.ts",
  solvers: "solvers/src/testing/index.ts",
  attacks: "attacks/src/testing/index.ts",
};

export const sharedTestConfig: ViteUserConfig = {
  resolve: {
    alias: [
      ...PACKAGES.map((name) => ({
        find: new RegExp(`^@rho/${name}$`),
        replacement: src(`${name}/src/index.ts`),
      })),
      { find: /^@rho\/models\/core$/, replacement: src("models/src/core.ts") },
      ...Object.entries(TESTING).map(([name, file]) => ({
        find: new RegExp(`^@rho/${name}/testing$`),
        replacement: src(file),
      })),
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: [fileURLToPath(new URL("./vitest.setup.ts", import.meta.url))],
    testTimeout: 60_000,
  },
};
