import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { image, loadDataset } from "@rho/datasets";
import { Network, saveModel } from "@rho/models";
import { PNG } from "pngjs";
import { beforeAll, describe, expect, it } from "vitest";
import { rho } from "./capture.js";

/**
 * A linear template classifier (weights: each class's mean of 2,000 MNIST training images,
 * centred): its linear region is the whole box, so ALP finds examples fast.
 */
async function linearModel(inputShape: [number, number, number] = [28, 28, 1]): Promise<string> {
  const n = inputShape[0] * inputShape[1] * inputShape[2];
  const train = loadDataset("mnist", "train");
  const means = new Float64Array(10 * n);
  const counts = new Float64Array(10);
  for (let i = 0; i < 2000; i++) {
    const label = train.labels[i] as number;
    counts[label] = (counts[label] as number) + 1;
    const px = image(train, i);
    for (let p = 0; p < n; p++)
      means[label * n + p] = (means[label * n + p] as number) + (px[p % 784] as number);
  }
  const weights = new Float32Array(n * 10);
  for (let p = 0; p < n; p++) {
    let avg = 0;
    for (let k = 0; k < 10; k++) avg += (means[k * n + p] as number) / (counts[k] as number) / 10;
    for (let k = 0; k < 10; k++)
      weights[p * 10 + k] = ((means[k * n + p] as number) / (counts[k] as number) - avg) / 255;
  }
  const net = new Network({
    inputShape,
    layers: [{ kind: "flatten" }, { kind: "dense", units: 10, weights, bias: new Float32Array(10) }],
  });
  const dir = mkdtempSync(join(tmpdir(), "rho-linear-"));
  await saveModel(net, dir);
  return dir;
}

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
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.attack).toBe("alp");
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
    expect(r.stdout).toMatch(/^alp on .*mnist test #0/);
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
  });

  it("refuses bad input with one line and exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--attack", "nope"], /unknown attack "nope"; known attacks: alp, alp-walk, lbfgs, fgsm, pgd/],
      [["--attack", "lbfgs", "--norm", "l1"], /rho: lbfgs: norm must be linf or l2/],
      [["--opt", "novalue"], /--opt expects key=value/],
      [["--index", "10000"], /--index 10000 is not in 0..9999/],
      [["--target", "11"], /--target 11: the model has labels 0..9/],
      [["--target", "x"], /--target must be second, all or a label/],
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
