// Real-world graphs end to end: PyTorch exports with residual connections, concatenated branches
// and explicit padding go through rho convert (a functional model on disk), eval with attacks and
// CROWN bounds, and give the same logits before and after saving.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel } from "@rho/models";
import { describe, expect, it } from "vitest";
import { rho } from "./capture.js";
import { cifarFiles } from "./fixtures.js";

const ONNX = fileURLToPath(new URL("../../models/test/fixtures/onnx/", import.meta.url));

interface Row {
  attack: string;
  index: number;
  status: string;
  rho: number | null;
  verified: boolean;
  /** A bound's certified lower bound on ρ. */
  lower?: number;
}

/** Every reported example verified; every bound's ρ_lb at most each verified ρ̂ of its point. */
function consistent(rows: Row[]): void {
  for (const r of rows.filter((x) => x.status === "adversarial")) {
    expect(r.verified).toBe(true);
    for (const b of rows.filter((x) => x.index === r.index && x.lower !== undefined))
      expect(b.lower as number).toBeLessThanOrEqual(r.rho as number);
  }
}

/** Runs eval and returns its rows (results.jsonl), after checking the exit status. */
async function evalRows(args: string[]): Promise<Row[]> {
  const out = join(mkdtempSync(join(tmpdir(), "rho-graph-run-")), "run");
  const r = await rho("eval", ...args, "--out", out, "--backend", "cpu");
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(join(out, "results.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Row);
}

describe("graph models (residual Add, Concat, explicit padding) in the CLI", () => {
  it("rho convert writes a DAG as a functional model that loads with the same logits", async () => {
    for (const name of ["residual-mnist", "branches", "vector-concat", "pools"]) {
      const onnx = join(ONNX, `${name}.onnx`);
      const out = join(mkdtempSync(join(tmpdir(), "rho-graph-convert-")), name);
      const c = await rho("convert", onnx, "--out", out, "--json");
      expect(c.code, c.stderr).toBe(0);
      const [a, b] = [await loadModel(onnx), await loadModel(out)];
      expect(b.inputs).toEqual(a.inputs);
      const { inputs } = JSON.parse(readFileSync(join(ONNX, `${name}.expected.json`), "utf8")) as {
        inputs: { pixels: number[] }[];
      };
      for (const e of inputs)
        expect(Array.from(b.forward64(e.pixels).logits)).toEqual(Array.from(a.forward64(e.pixels).logits));
    }
  });

  it("a residual MNIST network (trained, 92.8 %): eval with alp-walk, fgsm and crown; every example verified", async () => {
    const rows = await evalRows([
      ...["--model", join(ONNX, "residual-mnist.onnx"), "--attacks", "alp-walk,fgsm", "--bounds", "crown"],
      ...["--points", "3"],
    ]);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    consistent(rows);
    expect(rows.some((r) => r.attack === "alp-walk" && r.status === "adversarial")).toBe(true);
  });

  it("a ResNet-style CIFAR network (projection shortcuts, batch norms folded): eval with crown", async () => {
    const net = await loadModel(join(ONNX, "resnet-cifar.onnx"));
    const model = join(mkdtempSync(join(tmpdir(), "rho-graph-cifar-")), "resnet");
    const data = await cifarFiles(net, model, "colour", 3);
    const rows = await evalRows([
      ...["--model", model, "--dataset", "cifar10", "--data-dir", data],
      ...["--attacks", "fgsm,alp", "--bounds", "crown", "--points", "3"],
    ]);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    consistent(rows);
    expect(rows.filter((r) => r.attack === "crown").length).toBe(3);
  });
});
