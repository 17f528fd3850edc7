// The verification contract against attacks that misbehave: whatever a search returns, the result
// is either a verified in-box example at the reported distance from the untouched x*, or a row that
// counts for nothing (error, not_found, unverified).
import { argmax, Network, rawPixels, useBackend } from "@rho/models";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { type AttackResult, defineAttack, getAttack, type SearchResult } from "../src/index.js";
import { linear2 } from "../src/testing/index.js";

beforeAll(async () => {
  await useBackend("cpu");
});

/** An attack whose search answers whatever `answer` returns for the point it sees. */
const plugin = (answer: (pixels: Float64Array & { [i: number]: number }) => unknown) =>
  defineAttack({
    name: "hostile",
    description: "returns what the test says",
    family: "minimum-distance",
    options: {},
    search: async ({ point }) => answer(point.pixels as Float64Array) as SearchResult,
  });

// logits (x₀ − x₁, x₁ − x₀ + 3): label 1 at [101, 100], label 0 from [103, 100] on
const { net } = linear2([1, -1, -1, 1], [100, 100]);
const x0 = [101, 100] as const;
const label = net.predict64(x0);

const counted = (r: AttackResult) => r.status === "adversarial";

describe("what a search proposes is checked before it is reported", () => {
  it.each([
    ["all NaN", () => [Number.NaN, Number.NaN]],
    ["one NaN", () => [Number.NaN, 103]],
    ["+Infinity", () => [Number.POSITIVE_INFINITY, 100]],
    ["−Infinity", () => [101, Number.NEGATIVE_INFINITY]],
    ["above the box", () => [101, 300]],
    ["below the box by 1e6", () => [101 - 1e6, 100 - 1e6]],
    ["one value too few", () => [100]],
    ["one value too many", () => [100, 103, 7]],
    ["a string inside", () => [100, "103"]],
  ])("%s is an error row with the reason, never adversarial", async (_, example) => {
    const r = await plugin(() => ({ example: example(), diagnostics: {} })).run(
      { net },
      { pixels: x0, label },
    );
    expect(r.status).toBe("error");
    expect(r.rho).toBe(Number.POSITIVE_INFINITY);
    expect(r.adversarial).toBeUndefined();
    expect(String(r.diagnostics.message)).toMatch(/value|values/);
  });

  it.each([
    ["no diagnostics", () => ({ example: [100, 103] })],
    ["null", () => null],
    ["a number", () => 3],
    ["diagnostics not an object", () => ({ diagnostics: "x" })],
    ["an example that is an object", () => ({ example: { 0: 100, 1: 103, length: 2 }, diagnostics: {} })],
  ])("a result with %s is the attack's error", async (_, answer) => {
    const r = await plugin(answer).run({ net }, { pixels: x0, label });
    expect(r.status).toBe("error");
    expect(typeof r.diagnostics.message).toBe("string");
  });

  it("a search that writes into x* changes neither its ρ̂ nor what later attacks see", async () => {
    const point = { pixels: Float64Array.from(x0), label };
    const mutator = plugin((px) => {
      px[0] = 103; // moves "x*" onto its own example
      return { example: Float64Array.from(px), diagnostics: {} };
    });
    const r = await mutator.run({ net }, point);
    expect(r.status).toBe("adversarial");
    expect(r.rho).toBe(2); // measured from the real x*, not 0
    expect(Array.from(point.pixels)).toEqual([101, 100]);
    const after = await getAttack("pgd").run({ net }, point);
    expect(after.predicted).toBe(label);
  });

  it("an example changed by the search after it answered is not what is reported", async () => {
    let kept: Float64Array | undefined;
    const r = await plugin(() => {
      kept = Float64Array.of(103, 100);
      return { example: kept, diagnostics: {} };
    }).run({ net }, { pixels: x0, label });
    (kept as Float64Array)[0] = 101;
    expect(r.status).toBe("adversarial");
    expect(Array.from(r.adversarial as Float64Array)).toEqual([103, 100]);
  });

  it("a search cannot widen the box it is checked against", async () => {
    const r = await plugin(() => ({ example: [101, 300], diagnostics: {} })).run(
      { net },
      { pixels: x0, label },
    );
    expect(r.status).toBe("error");
    const widening = defineAttack({
      name: "widen",
      description: "",
      family: "minimum-distance",
      options: {},
      search: async ({ box }) => {
        try {
          (box as unknown as number[])[1] = 1000;
        } catch {
          // frozen: as it should be
        }
        return { example: Float64Array.of(101, 300), diagnostics: {} };
      },
    });
    expect((await widening.run({ net }, { pixels: x0, label })).status).toBe("error");
  });

  it("an example the float32 model does not confirm (overflow to ∞) is not adversarial", async () => {
    // float64 logits stay finite (~6e38); float32 overflows to Infinity (and NaN after the bias)
    const huge = new Network({
      inputShape: [2],
      preprocess: rawPixels(1),
      layers: [
        {
          kind: "dense",
          units: 2,
          weights: Float32Array.from([3e38, 0, 3e38, 0]),
          bias: Float32Array.of(0, 1),
        },
      ],
    });
    const at = [0, 0];
    const l = huge.predict64(at); // logits (0, 1): label 1
    expect(l).toBe(1);
    const r = await plugin(() => ({ example: [1, 1], diagnostics: {} })).run(
      { net: huge },
      { pixels: at, label: l },
    );
    // float64 says label 0 (6e38 > 1); float32's logits are not finite: not verified
    expect(argmax(huge.forward64([1, 1]).logits)).toBe(0);
    expect(r.status).toBe("unverified");
    expect(r.verified?.float32).toBe(false);
    expect(counted(r)).toBe(false);
  });

  it("a point whose own logits are not finite is an error row", async () => {
    // (3e38)^10 · 255 overflows float64 too
    const big = {
      kind: "dense",
      units: 1,
      weights: Float32Array.of(3e38),
      bias: Float32Array.of(0),
    } as const;
    const chain = new Network({
      inputShape: [1],
      preprocess: rawPixels(1),
      layers: [
        ...Array.from({ length: 10 }, () => big),
        { kind: "dense", units: 2, weights: Float32Array.of(1, -1), bias: Float32Array.of(0, 0) },
      ],
    });
    expect(chain.forward64([255]).logits.every(Number.isFinite)).toBe(false);
    const r = await plugin(() => ({ diagnostics: {} })).run({ net: chain }, { pixels: [255], label: 0 });
    expect(r.status).toBe("error");
    expect(r.diagnostics.message).toMatch(/not all finite/);
  });

  it("property: whatever a search returns, a counted result is a verified in-box example at its distance from the untouched x*", async () => {
    const value = fc.oneof(
      fc.double({ noNaN: false }),
      fc.integer({ min: -5, max: 260 }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 255, 0),
    );
    const answer = fc.oneof(
      fc.record({ example: fc.array(value, { minLength: 0, maxLength: 4 }), diagnostics: fc.constant({}) }),
      fc.record({ example: fc.array(value, { minLength: 2, maxLength: 2 }) }),
      fc.record({ diagnostics: fc.constant({}) }),
      fc.constantFrom(null, undefined, 7, "x"),
    );
    await fc.assert(
      fc.asyncProperty(answer, fc.boolean(), async (a, mutate) => {
        const point = { pixels: Float64Array.from(x0), label };
        const r = await plugin((px) => {
          if (mutate) px.fill(0);
          return a;
        }).run({ net }, point);
        expect(Array.from(point.pixels)).toEqual([101, 100]);
        expect(["adversarial", "unverified", "not_found", "error"]).toContain(r.status);
        if (r.status === "adversarial") {
          const x = r.adversarial as Float64Array;
          expect(x.length).toBe(2);
          expect(x.every((v) => Number.isFinite(v) && v >= 0 && v <= 255)).toBe(true);
          expect(r.rho).toBe(Math.max(Math.abs((x[0] as number) - 101), Math.abs((x[1] as number) - 100)));
          expect(net.predict64(x)).not.toBe(label);
          expect(r.verified?.float32).toBe(true);
        } else expect(r.rho).toBe(Number.POSITIVE_INFINITY);
      }),
      { numRuns: 300 },
    );
  });
});
