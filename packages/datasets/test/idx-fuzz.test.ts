// Bounded fuzzing of the IDX parser: random bytes and valid files with random edits give either
// an array whose data fits its dimensions or a DatasetError — never another error or a hang.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DatasetError, encodeIdx, parseIdx } from "../src/index.js";

function parsesOrRefuses(bytes: Uint8Array, dims: number): void {
  const t0 = performance.now();
  try {
    const a = parseIdx(bytes, "fuzz.idx", dims);
    expect(a.dims).toHaveLength(dims);
    expect(a.data.length).toBe(a.dims.reduce((x, y) => x * y, 1));
  } catch (e) {
    if (!(e instanceof DatasetError)) throw e;
    expect(e.message).toMatch(/^fuzz.idx: /);
  }
  expect(performance.now() - t0).toBeLessThan(1000);
}

const arbValid = fc
  .array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 3 })
  .chain((dims) =>
    fc.tuple(
      fc.constant(dims),
      fc.uint8Array({
        minLength: dims.reduce((a, b) => a * b, 1),
        maxLength: dims.reduce((a, b) => a * b, 1),
      }),
    ),
  )
  .map(([dims, data]) => ({ dims: dims.length, bytes: encodeIdx(dims, data) }));

describe("IDX parser under fuzzing", () => {
  it("random bytes: an array or a DatasetError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 4 }), parsesOrRefuses),
      { numRuns: 500 },
    );
  });
  it("valid files with bytes changed, cut or appended: an array or a DatasetError", () => {
    fc.assert(
      fc.property(
        arbValid,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.integer({ min: -8, max: 8 }),
        ({ dims, bytes }, edits, cut) => {
          const b = Uint8Array.from(bytes);
          for (const [at, v] of edits) b[at % b.length] = v;
          const edited =
            cut < 0
              ? b.subarray(0, Math.max(0, b.length + cut))
              : Uint8Array.from([...b, ...new Array(cut).fill(7)]);
          parsesOrRefuses(edited, dims);
        },
      ),
      { numRuns: 500 },
    );
  });
  it("a header claiming 2³² × 2³² items is refused, not allocated", () => {
    const huge = Uint8Array.from([0, 0, 8, 2, 255, 255, 255, 255, 255, 255, 255, 255]);
    expect(() => parseIdx(huge, "fuzz.idx", 2)).toThrow(DatasetError);
  });
});
