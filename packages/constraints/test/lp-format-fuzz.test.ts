// Bounded fuzzing of the LP-format parser: any text, and valid files with random edits, either
// parse into a program that passes validation or fail with a ConstraintError (LpParseError with
// its line, or InvalidModelError for a program that parses but contradicts itself, e.g. a row
// whose lower bound exceeds its upper) — never another error, never a hang (each input is timed).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConstraintError, parseLpFormat, validateProgram, writeLpFormat } from "../src/index.js";
import { arbLinearProgram } from "../src/testing.js";

const TOKENS = [
  "Minimize",
  "Maximize",
  "Subject To",
  "st",
  "Bounds",
  "Generals",
  "Binaries",
  "End",
  "obj:",
  "c1:",
  "x",
  "y",
  "z1",
  "+",
  "-",
  "<=",
  ">=",
  "=",
  "<",
  ">",
  "free",
  "inf",
  "-inf",
  "infinity",
  "1e300",
  "1e-300",
  "0",
  "2.5",
  "3",
  "NaN",
  ":",
  "\\ comment",
  "\n",
  " ",
  "\t",
  "e",
  "1e",
  ".",
  "-1e400",
];
const arbTokenText = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join(" "));

/** A valid LP file with a few random edits: characters deleted, replaced or inserted. */
const arbEditedLp = fc
  .tuple(
    arbLinearProgram({ maxCols: 6, maxRows: 6, integer: true }).map(writeLpFormat),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 2 }), fc.constantFrom(...TOKENS, "", "9", "\u0000", "é")), {
      minLength: 1,
      maxLength: 5,
    }),
  )
  .map(([text, edits]) => {
    let t = text;
    for (const [at, kind, s] of edits) {
      const i = t.length ? at % t.length : 0;
      t =
        kind === 0
          ? t.slice(0, i) + t.slice(i + 1)
          : kind === 1
            ? t.slice(0, i) + s + t.slice(i + 1)
            : t.slice(0, i) + s + t.slice(i);
    }
    return t;
  });

function parsesOrRefuses(text: string): void {
  const t0 = performance.now();
  try {
    validateProgram(parseLpFormat(text));
  } catch (e) {
    if (!(e instanceof ConstraintError))
      throw new Error(`${(e as Error).name}: ${(e as Error).message} on ${JSON.stringify(text)}`);
  }
  expect(performance.now() - t0).toBeLessThan(2000);
}

describe("LP-format parser under fuzzing", () => {
  it("token soup: a program or a ConstraintError", () => {
    fc.assert(fc.property(arbTokenText, parsesOrRefuses), { numRuns: 400 });
  });
  it("valid files with random edits: a program or a ConstraintError", () => {
    fc.assert(fc.property(arbEditedLp, parsesOrRefuses), { numRuns: 400 });
  });
  it("arbitrary text: a program or a ConstraintError", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), parsesOrRefuses), { numRuns: 300 });
  });
});
