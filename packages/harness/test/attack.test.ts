import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";
import { beforeAll, describe, expect, it } from "vitest";
import { rho } from "./capture.js";
import { linearModel } from "./fixtures.js";

describe("rho attack", () => {
  let model: string;
  beforeAll(async () => {
    model = await linearModel();
  });

  it("runs alp on one MNIST point, verifies the example and saves the comparison image", async () => {
    const png = join(mkdtempSync(join(tmpdir(), "rho-img-")), "cmp.png");
    const r = await rho(
      "attack",
      "--model",
      model,
      "--index",
      "0",
      "--backend",
      "cpu",
      "--json",
      "--save-image",
      png,
      // this linear model's nearest example lies beyond alp's default search radius (32)
      "--opt",
      "maxEps=255",
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.attack).toBe("alp");
    expect(j.diagnostics.maxEps).toBe(255);
    expect(j.status).toBe("adversarial");
    expect(j.rho).toBeGreaterThan(0);
    expect(j.verified).toMatchObject({ float64: true, float32: true });
    expect(j.adversarial).toHaveLength(784);
    const img = PNG.sync.read(readFileSync(png));
    expect(img.height).toBe(112); // 28 × 4
    expect(img.width).toBe(3 * 112 + 8);
  });

  it("prints a human-readable summary", async () => {
    const r = await rho("attack", "--model", model, "--index", "0", "--backend", "cpu", "--target", "all");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^alp \(minimum-distance\) on .*mnist test #0/);
    expect(r.stdout).toMatch(/status {5}adversarial/);
    expect(r.stdout).toMatch(/rho {8}\d+\.\d{4} pixels/);
  });

  it("runs every built-in attack by name", async () => {
    for (const attack of ["alp-walk", "lbfgs", "fgsm", "pgd"]) {
      const r = await rho(
        "attack",
        "--model",
        model,
        "--index",
        "0",
        "--backend",
        "cpu",
        "--attack",
        attack,
        "--json",
      );
      expect(r.code, attack).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.attack).toBe(attack);
      expect(["adversarial", "not_found"]).toContain(j.status);
    }
  });

  it("lbfgs's examples stay inside the box exactly (L-BFGS-B's steps once ended at −2.8e-17)", async () => {
    const r = await rho("attack", "--model", "lenet", "--index", "4558", "--attack", "lbfgs", "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.status, j.diagnostics?.message).toBe("adversarial");
    expect(j.adversarial.every((v: number) => v >= 0 && v <= 255)).toBe(true);
  }, 60_000);

  it("loads a plugin attack and runs it by name", async () => {
    const plugin = fileURLToPath(new URL("./fixtures/give-up-attack.mjs", import.meta.url));
    const r = await rho(
      "--plugin",
      plugin,
      "attack",
      "--model",
      model,
      "--index",
      "0",
      "--attack",
      "give-up",
      "--json",
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      attack: "give-up",
      status: "not_found",
      diagnostics: { plugin: true },
    });
    const missing = await rho(
      "--plugin",
      "/nonexistent/plugin.mjs",
      "attack",
      "--model",
      model,
      "--index",
      "0",
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--plugin \/nonexistent\/plugin.mjs/);
    const badOption = await rho(
      "--plugin",
      plugin,
      "attack",
      "--model",
      model,
      "--index",
      "0",
      "--attack",
      "give-up",
      "--opt",
      "patience=soon",
    );
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/give-up: option patience must be integer ≥ 0, got "soon"/);
    const unwrapped = fileURLToPath(new URL("./fixtures/unwrapped-attack.mjs", import.meta.url));
    const refused = await rho("--plugin", unwrapped, "attacks");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/"trust-me" was not made by defineAttack/);
  });

  it("refuses bad input with one line and exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["--attack", "nope"],
        /unknown attack "nope"; known attacks: alp, alp-walk, alp-pgd, lbfgs, fgsm, pgd/,
      ],
      // the flag's choices come from lbfgs's schema
      [
        ["--attack", "lbfgs", "--norm", "l1"],
        /'--norm <linf\|l2>' argument 'l1' is invalid. Allowed choices are linf, l2/,
      ],
      [["--attack", "fgsm", "--eps", "-3"], /fgsm: option eps must be number > 0, got -3/],
      [
        ["--attack", "alp", "--margin", "1e"],
        /--margin <logits>' argument '1e' is invalid. expected number > 0, got "1e"/,
      ],
      [
        ["--attack", "lbfgs", "--margin", "0.1"],
        /--margin: lbfgs has no option "margin"|no attack of this run has option "margin"/,
      ],
      [["--attack", "lbfgs", "--opt", "cSteps=abc"], /lbfgs: option cSteps must be integer ≥ 1, got "abc"/],
      [["--attack", "lbfgs", "--opt", "nosuchkey=3"], /no attack of this run has option "nosuchkey"/],
      [["--opt", "novalue"], /--opt expects key=value/],
      [["--index", "10000"], /--index 10000 is not in 0..9999/],
      [["--target", "11"], /--target 11: the model has labels 0..9/],
      [["--target", "x"], /--target must be second, all or a label/],
      [
        ["--attack", "alp", "--opt", "lpMethod=interior", "--opt", "solver=glpk"],
        /^rho: lpMethod: glpk has no interior point method/m,
      ],
    ];
    for (const [extra, message] of cases) {
      const r = await rho("attack", "--model", model, "--index", "0", ...extra);
      expect(r.code, extra.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const small = await linearModel([4, 4, 1]);
    const r = await rho("attack", "--model", small, "--index", "0");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/takes 4×4×1 inputs; mnist images are 28×28×1/);
  });
});
