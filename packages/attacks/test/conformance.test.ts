// Every registered attack runs the exported conformance suite (@rho/attacks/testing); the
// registry's own contract is tested below.
import { describe, expect, it } from "vitest";
import { attackList, attackNames, defineAttack, getAttack, registerAttack } from "../src/index.js";
import { attackConformance, linear2 } from "../src/testing/index.js";

for (const attack of attackList()) attackConformance(attack, { findsEasyExamples: true });

it("looks attacks up by name and names the known ones otherwise", () => {
  expect(getAttack("alp").name).toBe("alp");
  expect(() => getAttack("nope")).toThrow(/unknown attack "nope"; known attacks: .*alp/);
});

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
