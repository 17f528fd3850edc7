// The CIFAR-10 path end to end on small generated files (never the real set): a colour network with
// strided convolutions and overlapping max and average pools, through eval (alp, fgsm, crown) and
// report (a colour Figure 2).
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Layer, Network, prng } from "@rho/models";
import { PNG } from "pngjs";
import { beforeAll, describe, expect, it } from "vitest";
import { rho } from "./capture.js";
import { cifarFiles } from "./fixtures.js";

const POINTS = 6;

/** `lastRelu` and large biases: the variant whose region LP once ended HiGHS with "status 15". */
function colourNet(
  o: { convScale: number; biasScale: number; lastRelu: boolean } = {
    convScale: 60,
    biasScale: 0.1,
    lastRelu: false,
  },
): Network {
  const rand = prng(3);
  const conv = (filters: number, k: number, c: number, strides: 1 | 2, scale: number): Layer => ({
    kind: "conv2d",
    filters,
    kernel: [k, k],
    strides: [strides, strides],
    padding: "same",
    weights: Float32Array.from({ length: k * k * c * filters }, () => (rand() - 0.5) * scale),
    bias: Float32Array.from({ length: filters }, () => (rand() - 0.5) * o.biasScale),
  });
  return new Network({
    name: "tiny-colour",
    inputShape: [32, 32, 3],
    layers: [
      conv(3, 3, 3, 2, 4),
      { kind: "relu" },
      // overlapping windows: 3×3 every 2
      { kind: "maxpool", size: [3, 3], strides: [2, 2], padding: "same" },
      conv(10, 1, 3, 1, o.convScale),
      ...(o.lastRelu ? [{ kind: "relu" } as const] : []),
      { kind: "avgpool", size: [3, 3], strides: [2, 2], padding: "same" },
      { kind: "globalavgpool" },
    ],
  });
}

describe("CIFAR-10 from --data-dir: eval, bounds and a colour report", () => {
  let model: string;
  let data: string;
  beforeAll(async () => {
    model = join(mkdtempSync(join(tmpdir(), "rho-cifar-model-")), "m");
    data = await cifarFiles(colourNet(), model, "colour");
  });

  it("every attack and crown run on colour points; the report's Figure 2 is in colour", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "rho-cifar-run-")), "run");
    const common = ["--model", model, "--dataset", "cifar10", "--data-dir", data];
    const acc = await rho("accuracy", ...common, "--backend", "cpu", "--json");
    expect(acc.code, acc.stderr).toBe(0);
    expect(JSON.parse(acc.stdout).accuracy).toBe(1);
    const r = await rho(
      "eval",
      ...common,
      "--attacks",
      "alp,fgsm",
      "--bounds",
      "crown",
      "--points",
      String(POINTS),
      "--eps",
      "8",
      "--workers",
      "1",
      "--backend",
      "cpu",
      "--out",
      out,
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const rows = readFileSync(join(out, "results.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(3 * POINTS);
    expect(rows.filter((x) => x.status === "error" || x.status === "timeout")).toEqual([]);
    const alp = rows.filter((x) => x.attack === "alp" && x.status === "adversarial");
    expect(alp.length).toBeGreaterThan(0);
    for (const a of alp) {
      const bound = rows.find((x) => x.attack === "crown" && x.index === a.index);
      expect(bound.lower).toBeLessThanOrEqual(a.rho);
    }
    const rep = join(out, "..", "report");
    const report = await rho("report", out, "--out", rep, "--examples", "2");
    expect(report.code, report.stderr).toBe(0);
    const images = readdirSync(join(rep, "figure2"));
    expect(images.length).toBeGreaterThan(0);
    const png = PNG.sync.read(readFileSync(join(rep, "figure2", images[0] as string)));
    let colour = false;
    for (let p = 0; p < png.width * png.height && !colour; p++)
      colour = png.data[4 * p] !== png.data[4 * p + 1] || png.data[4 * p + 1] !== png.data[4 * p + 2];
    expect(colour).toBe(true);
  }, 300_000);

  it("a colour model given MNIST (the default dataset) is refused with the dataset that fits", async () => {
    const r = await rho("accuracy", "--model", model, "--backend", "cpu");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/takes 32×32×3 inputs; mnist images are 28×28×1 \(try --dataset cifar10\)/);
  }, 60_000);

  it("a region LP HiGHS' scaling cannot settle (it once ended 'status 15') is settled", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "rho-cifar-model-")), "m");
    const noisy = await cifarFiles(colourNet({ convScale: 4, biasScale: 2, lastRelu: true }), dir, "noise");
    const r = await rho(
      "attack",
      ...["--model", dir, "--dataset", "cifar10", "--data-dir", noisy, "--index", "0", "--attack", "alp"],
      ...["--backend", "cpu", "--json"],
    );
    expect(JSON.parse(r.stdout).status, r.stdout).toBe("not_found");
  }, 120_000);
});
