import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeIdx } from "@rho/datasets";
import { describe, expect, it } from "vitest";
import { rho } from "./capture.js";

/** A tiny Fashion-MNIST-format directory: n 28×28 images per split, label = brightest quarter. */
function tinyIdx(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), "rho-idx-"));
  for (const [prefix, count] of [
    ["train", n],
    ["t10k", n / 2],
  ] as const) {
    const px = new Uint8Array(count * 784);
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 4);
    for (let i = 0; i < count; i++) {
      for (let p = 0; p < 784; p++) {
        const quarter = (Math.floor(p / 28) < 14 ? 0 : 2) + (p % 28 < 14 ? 0 : 1);
        px[i * 784 + p] = quarter === labels[i] ? 220 : (i * 13 + p) % 30;
      }
    }
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), encodeIdx([count, 28, 28], px));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), encodeIdx([count], labels));
  }
  return dir;
}

describe("rho train and rho accuracy", () => {
  it("trains, checkpoints every epoch, resumes, and reports accuracy", async () => {
    const data = tinyIdx(64);
    const out = mkdtempSync(join(tmpdir(), "rho-train-"));
    const common = [
      "--arch",
      "lenet",
      "--dataset",
      "fashion-mnist",
      "--data-dir",
      data,
      "--out",
      out,
      "--backend",
      "wasm",
      "--batch-size",
      "16",
    ];
    const first = await rho("train", ...common, "--epochs", "1", "--json");
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(join(out, "model.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "train-state.json"), "utf8")).epochsDone).toBe(1);
    const second = await rho("train", ...common, "--epochs", "3", "--resume", "--lr", "0.0005", "--json");
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/learning rate 0.001 → 0.0005 from epoch 2/);
    expect(second.stderr).toMatch(/resuming after epoch 1 of 3/);
    const summary = JSON.parse(second.stdout);
    expect(summary.history.map((h: { epoch: number; lr: number }) => [h.epoch, h.lr])).toEqual([
      [1, 0.001],
      [2, 0.0005],
      [3, 0.0005],
    ]);
    const acc = await rho(
      "accuracy",
      "--model",
      out,
      "--dataset",
      "fashion-mnist",
      "--data-dir",
      data,
      "--backend",
      "wasm",
      "--json",
    );
    expect(acc.code, acc.stderr).toBe(0);
    const j = JSON.parse(acc.stdout);
    expect(j.total).toBe(32);
    expect(j.accuracy).toBeCloseTo(summary.testAccuracy, 9);
    expect(j.accuracy).toBeGreaterThan(0.9);
  });

  it.each([
    [
      ["train", "--out", "/nonexistent-rho/x", "--resume"],
      /--resume: no train-state.json in \/nonexistent-rho\/x/,
    ],
    [["train", "--arch", "resnet", "--out", "x"], /argument 'resnet' is invalid/],
    [["train", "--dataset", "cifar10", "--out", "x"], /cifar10 is not shipped with rho/],
    [
      ["accuracy", "--model", "/nonexistent-rho/model"],
      /no model directory or file "\/nonexistent-rho\/model"; shipped models: lenet, mlp/,
    ],
  ])("bad input %j exits 2 with one clear line", async (args, message) => {
    const r = await rho(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
