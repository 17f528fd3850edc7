// The checks every attack must pass, whatever it does inside (Foolbox-style: attack × model
// fixture). rho's tests run them on every registered attack; a plug-in author runs them on theirs:
//
//   import { attackConformance } from "@rho/attacks/testing";
//   import { myAttack } from "../src/my-attack.js";
//   attackConformance(myAttack);
//
// They need vitest and fast-check (peer dependencies of @rho/attacks).
import { argmax, Network, rawPixels, useBackend } from "@rho/models";
import { arbNetwork, arbPixels } from "@rho/models/testing";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Attack } from "../attack.js";
import { tfjsContext } from "../context.js";
import { AttackOptionError, coerceOption, resolveOptions } from "../options.js";
import { linf } from "../verify.js";
import { arbPixels2, arbWeights2, linear2 } from "./linear.js";

export { arbPixels2, arbWeights2, linear2 } from "./linear.js";
export * from "./toy.js";

/**
 * Registers a vitest suite for one attack: only verified examples at the distance claimed, never
 * below the true ρ of two-label linear classifiers, misclassified points skipped, the float32 check
 * used, a declared family, options checked (unknown keys and bad values refused before any work,
 * command-line strings parsed strictly). `findsEasyExamples`: also require an example one pixel away.
 */
export function attackConformance(attack: Attack, opts: { findsEasyExamples?: boolean } = {}): void {
  const netAndPixels = arbNetwork().chain((net) => fc.tuple(fc.constant(net), arbPixels(net)));

  describe(`attack ${attack.name}`, () => {
    beforeAll(async () => {
      await useBackend("cpu");
    });
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
      // rho's own attacks all find this example; a plug-in need not find any
      if (opts.findsEasyExamples) expect(r.status).toBe("adversarial");
      if (r.status === "adversarial") expect(r.verified?.float32).toBe(true);
      else expect(r.status).toBe("not_found");
    });
  });

  describe(`attack ${attack.name}: its declared options`, () => {
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
  });
}
