// Checks every registered attack must pass, whatever it does inside (Foolbox-style test matrix:
// attack × model fixture). A new attack gets these by being registered.
import { argmax, Network, rawPixels, useBackend } from "@rho/models";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { arbNetwork, arbPixels } from "../../models/test/arbitraries.js";
import { attackList, getAttack, linf, tfjsContext } from "../src/index.js";
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
