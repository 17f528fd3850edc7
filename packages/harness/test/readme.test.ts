import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import * as api from "../src/index.js";

it("the README lists every export of the package", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  for (const name of Object.keys(api)) expect(readme, name).toContain(`\`${name}\``);
});
