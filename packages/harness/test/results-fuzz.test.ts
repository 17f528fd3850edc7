// Bounded fuzzing of the results readers: a results.jsonl or run.json with any content gives rows
// (each a valid results row, no (attack, point) twice) or a UsageError naming the file — never
// another error, never a hang.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../src/errors.js";
import { parseRunSpec, readResults } from "../src/eval/spec.js";

const row = {
  attack: "alp",
  index: 3,
  label: 7,
  predicted: 7,
  status: "adversarial",
  rho: 12.5,
  target: 9,
  verified: true,
  rounded: false,
  seconds: 1.2,
  stats: { ties: 4 },
};
const arbValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.string({ maxLength: 5 }),
  fc.constant([]),
  fc.constant({}),
);
/** A line: a valid row, a row with one field replaced or dropped, or any text. */
const arbLine = fc.oneof(
  fc
    .record({ attack: fc.constantFrom("alp", "fgsm"), index: fc.nat({ max: 5 }) })
    .map((r) => JSON.stringify({ ...row, ...r })),
  fc
    .tuple(fc.constantFrom(...Object.keys(row)), fc.option(arbValue, { nil: undefined }))
    .map(([k, v]) => JSON.stringify({ ...row, [k]: v })),
  fc.string({ maxLength: 40 }),
);

describe("results readers under fuzzing", () => {
  const dir = mkdtempSync(join(tmpdir(), "rho-results-fuzz-"));
  const file = join(dir, "results.jsonl");

  it("results.jsonl: valid rows without repeats, or a UsageError naming the file", () => {
    fc.assert(
      fc.property(fc.array(arbLine, { maxLength: 12 }), fc.boolean(), (lines, trailingNewline) => {
        writeFileSync(file, lines.join("\n") + (trailingNewline ? "\n" : ""));
        const t0 = performance.now();
        try {
          const rows = readResults(file);
          const keys = rows.map((r) => `${r.attack}#${r.index}`);
          expect(new Set(keys).size).toBe(keys.length);
          for (const r of rows) expect(typeof r.attack === "string" && Number.isInteger(r.index)).toBe(true);
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
          expect(e.message).toContain(file);
        }
        expect(performance.now() - t0).toBeLessThan(1000);
      }),
      { numRuns: 400 },
    );
  });

  it("run.json: a spec or a UsageError naming the file", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string({ maxLength: 30 })), (text) => {
        try {
          const spec = parseRunSpec(text, "run.json");
          expect(Array.isArray(spec.attacks)).toBe(true);
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
          expect(e.message).toMatch(/^run\.json /);
        }
      }),
      { numRuns: 400 },
    );
  });
});
