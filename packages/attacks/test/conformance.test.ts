// Checks every registered attack must pass, whatever it does inside (Foolbox-style test matrix:
// attack × model fixture). A new attack gets these by being registered.
import { argmax, Network, rawPixels, useBackend } from "@rho/models";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { arbNetwork, arbPixels } from "../../models/test/arbitraries.js";
import {
  AttackOptionError,
  attackList,
  attackNames,
  coerceOption,
  defineAttack,
  getAttack,
  linf,
  registerAttack,
  resolveOptions,
  tfjsContext,
} from "../src/index.js";
import { arbPixels2, arbWeights2, linear2 } from "./linear.js";

const netAndPixels = arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net)));

beforeAll(async () => {
  await useBackend("cpu");
});

describe.each(attackList().map((a) => [a.name, a] as const))("attack %s", (_name, attack) => {
  it("reports only verified examples, at the distance it claims, for the label the network gives", async () => {
    await fc.assert(
      fc.asyncProperty(netAndPixels, async ([net, px]) => {
        const label = net.predict64(px);
        const r = await attack.run({ net }, { pixels: px, label });
        expect(r.attack).toBe(attack.name);
        expect(r.predicted).toBe(label);
        expect(r.seconds).toBeGreaterThanOrEqual(0);
        if (r.status === "adversarial") {
          const x = r.adversarial as Float64Array;
          expect(x.every((v) => v >= 0 && v <= 255)).toBe(true);
          expect(r.rho).toBe(linf(x, px));
          expect(r.verified?.float64).toBe(true);
          expect(net.predict64(x)).not.toBe(label);
        } else {
          expect(r.rho).toBe(Number.POSITIVE_INFINITY);
        }
      }),
      { numRuns: 15 },
    );
  }, 120_000);

  it("never reports ρ̂ below the true ρ: on two-label linear classifiers ρ = gap / ‖w₀ − w₁‖₁", async () => {
    await fc.assert(
      fc.asyncProperty(arbWeights2, arbPixels2, async (w, px) => {
        const { net, label, rho } = linear2(w, px);
        const r = await attack.run({ net }, { pixels: px, label });
        if (r.status === "adversarial") expect(r.rho).toBeGreaterThanOrEqual(rho - 1e-9);
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  it("does not attack a point the network already misclassifies", async () => {
    const net = new Network({
      inputShape: [2],
      preprocess: rawPixels(1),
      layers: [
        {
          kind: "dense",
          units: 2,
          weights: Float32Array.from([1, 0, 0, 1]),
          bias: Float32Array.from([0, 0]),
        },
      ],
    });
    const r = await attack.run({ net }, { pixels: [10, 200], label: 0 });
    expect(r.status).toBe("misclassified");
    expect(r.predicted).toBe(1);
  });

  it("checks its example with the float32 model when the context offers one", async () => {
    const net = new Network({
      inputShape: [2],
      layers: [
        {
          kind: "dense",
          units: 3,
          weights: Float32Array.from([1, -1, 0.5, -1, 1, 0.5]),
          bias: Float32Array.from([0, 0, -1]),
        },
      ],
    });
    const px = [101, 100]; // label 0, one pixel from label 1
    const label = argmax(net.forward64(px).logits);
    const r = await attack.run(await tfjsContext(net), { pixels: px, label });
    expect(r.status).toBe("adversarial");
    expect(r.verified?.float32).toBe(true);
  });
});

it("looks attacks up by name and names the known ones otherwise", () => {
  expect(getAttack("alp").name).toBe("alp");
  expect(() => getAttack("nope")).toThrow(/unknown attack "nope"; known attacks: .*alp/);
});

describe.each(attackList().map((a) => [a.name, a] as const))(
  "attack %s: its declared options",
  (_n, attack) => {
    const net = linear2([1, -1, -1, 1], [100, 100]).net;
    const point = { pixels: [100, 101], label: net.predict64([100, 101]) };

    it("declares a family, and a fixed-epsilon attack its radius eps", () => {
      expect(["minimum-distance", "fixed-epsilon"]).toContain(attack.family);
      if (attack.family === "fixed-epsilon") expect(attack.options.eps?.type).toBe("number");
      for (const [key, spec] of Object.entries(attack.options)) {
        expect(spec.help.length, key).toBeGreaterThan(0);
        if (spec.default !== undefined)
          expect(() => resolveOptions(attack.name, attack.options, { [key]: spec.default })).not.toThrow();
      }
    });

    it("refuses an unknown key and a value of the wrong type before any work", async () => {
      await expect(attack.run({ net }, point, { nosuchkey: 3 })).rejects.toThrow(AttackOptionError);
      await expect(attack.run({ net }, point, { nosuchkey: 3 })).rejects.toThrow(/has no option "nosuchkey"/);
      for (const [key, spec] of Object.entries(attack.options)) {
        const wrong = spec.type === "boolean" || spec.type === "string" ? 12.5 : "abc";
        await expect(attack.run({ net }, point, { [key]: wrong }), key).rejects.toThrow(AttackOptionError);
        if (spec.min !== undefined)
          await expect(attack.run({ net }, point, { [key]: spec.min - 1 }), key).rejects.toThrow(
            new RegExp(`option ${key} must be`),
          );
      }
    });

    it("parses command-line strings strictly", () => {
      for (const [key, spec] of Object.entries(attack.options)) {
        if (spec.type === "integer")
          for (const bad of ["", "1e3", "0x10", "1.5", "abc"])
            expect(() => coerceOption(attack.name, key, spec, bad), `${key}=${bad}`).toThrow(
              AttackOptionError,
            );
        if (spec.type === "number")
          for (const bad of ["", "abc", "0x10", "1,5"])
            expect(() => coerceOption(attack.name, key, spec, bad), `${key}=${bad}`).toThrow(
              AttackOptionError,
            );
      }
    });
  },
);

describe("the attack contract", () => {
  it("registers only attacks made by defineAttack", () => {
    const fake = { ...getAttack("fgsm"), name: "fake" };
    expect(() => registerAttack(fake as never)).toThrow(/was not made by defineAttack/);
    expect(attackNames()).not.toContain("fake");
  });

  it("turns a search that throws into an error result with a one-line reason", async () => {
    const boom = defineAttack({
      name: "boom",
      description: "throws",
      family: "minimum-distance",
      options: {},
      async search() {
        throw new Error("solver exploded\n    at somewhere (file.js:1:1)");
      },
    });
    const { net } = linear2([1, -1, -1, 1], [100, 100]);
    const r = await boom.run({ net }, { pixels: [100, 101], label: net.predict64([100, 101]) });
    expect(r.status).toBe("error");
    expect(r.diagnostics.message).toBe("solver exploded");
  });

  it("a target equal to the point's label is an error result, not a crash", async () => {
    const { net } = linear2([1, -1, -1, 1], [100, 100]);
    const label = net.predict64([100, 101]);
    const r = await getAttack("lbfgs").run({ net }, { pixels: [100, 101], label }, { target: label });
    expect(r.status).toBe("error");
    expect(r.diagnostics.message).toMatch(/is the point's own label/);
  });

  it("a fixed-epsilon attack must declare eps", () => {
    expect(() =>
      defineAttack({
        name: "x",
        description: "",
        family: "fixed-epsilon",
        options: {},
        search: async () => ({ diagnostics: {} }),
      }),
    ).toThrow(/declares its radius/);
  });
});
