import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { image, loadDataset } from "@rho/datasets";
import { loadModel } from "@rho/models";
import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { rho } from "./capture.js";

const ONNX = fileURLToPath(new URL("../../models/test/fixtures/onnx/", import.meta.url));

describe("ONNX models in the CLI, and rho convert", () => {
  it("ALP's ρ̂ on an imported model equals ρ̂ on the same model converted to rho's format", async () => {
    const onnx = join(ONNX, "lenet.onnx");
    const out = join(mkdtempSync(join(tmpdir(), "rho-convert-")), "lenet");
    const c = await rho("convert", onnx, "--out", out, "--json");
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout).layers).toBe(8);
    const card = readFileSync(join(out, "MODEL_CARD.md"), "utf8");
    expect(card).toMatch(/`lenet\.onnx`: `[0-9a-f]{64}`/);
    // the fixture's weights are untrained: attack a point it happens to classify correctly
    const net = await loadModel(onnx);
    const test = loadDataset("mnist", "test");
    const index = Array.from({ length: 200 }, (_, i) => i).find(
      (i) => net.predict64(image(test, i)) === test.labels[i],
    );
    expect(index).toBeDefined();
    const run = async (model: string) => {
      const r = await rho("attack", "--model", model, "--index", String(index), "--backend", "cpu", "--json");
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { status: string; rho: number; target: number };
    };
    const [a, b] = [await run(onnx), await run(out)];
    expect(a.status).toBe("adversarial");
    expect(b).toMatchObject({ status: a.status, target: a.target });
    expect(Math.abs(a.rho - b.rho)).toBeLessThanOrEqual(1e-9 * Math.max(1, a.rho));
  });

  it("--preprocess sets the input mapping; a taken --out and a bad mapping are refused", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "rho-convert-")), "m");
    const c = await rho("convert", join(ONNX, "mlp.onnx"), "--out", out, "--preprocess", "raw");
    expect(c.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "rho.json"), "utf8")).preprocess).toEqual({
      scale: [1],
      shift: [0],
    });
    const again = await rho("convert", join(ONNX, "mlp.onnx"), "--out", out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a model/);
    const bad = await rho(
      "convert",
      join(ONNX, "mlp.onnx"),
      "--out",
      `${out}2`,
      "--preprocess",
      "mean=0.1:std=0",
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--preprocess "mean=0.1:std=0"/);
    expect(existsSync(join(`${out}2`, "model.json"))).toBe(false);
  });

  it("an unsupported or corrupt ONNX file exits 2 with one line", async () => {
    const bad = join(mkdtempSync(join(tmpdir(), "rho-onnx-")), "cut.onnx");
    writeFileSync(bad, readFileSync(join(ONNX, "lenet.onnx")).subarray(0, 500));
    for (const [model, message] of [
      [join(ONNX, "sigmoid.onnx"), /\(Sigmoid\) is not supported; supported ops: /],
      [bad, /cut\.onnx: not a readable ONNX model/],
    ] as const) {
      const r = await rho("accuracy", "--model", model, "--backend", "cpu");
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(
        r.stderr
          .trim()
          .split("\n")
          .filter((l) => l.startsWith("rho:")),
      ).toHaveLength(1);
    }
  });

  it("a graph with two outputs needs --output NAME; the model card says which was taken", async () => {
    const { onnx } = onnxProto;
    const model = onnx.ModelProto.decode(readFileSync(join(ONNX, "mlp.onnx")));
    const graph = model.graph as NonNullable<typeof model.graph>;
    const logits = graph.output?.[0]?.name as string;
    const hidden = graph.node?.find((n) => n.opType === "Relu")?.output?.[0] as string;
    graph.output = [onnx.ValueInfoProto.create({ name: hidden }), ...(graph.output ?? [])];
    const dir = mkdtempSync(join(tmpdir(), "rho-convert-"));
    const two = join(dir, "two.onnx");
    writeFileSync(two, onnx.ModelProto.encode(model).finish());
    const refused = await rho("convert", two, "--out", join(dir, "a"));
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(/2 outputs .*--output NAME/);
    expect(existsSync(join(dir, "a", "model.json"))).toBe(false);
    const ok = await rho("convert", two, "--out", join(dir, "b"), "--output", logits);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(dir, "b", "MODEL_CARD.md"), "utf8")).toContain(`graph output \`${logits}\``);
  });

  it("an NHWC input flattened first is refused until --input-layout names it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rho-convert-"));
    const onnx = join(ONNX, "mlp-nhwc.onnx");
    const refused = await rho("convert", onnx, "--out", join(dir, "a"));
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(/--input-layout nchw\|nhwc/);
    const attack = await rho("attack", "--model", onnx, "--index", "0");
    expect(attack.code).toBe(2);
    const bad = await rho("convert", onnx, "--out", join(dir, "b"), "--input-layout", "hwcn");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--input-layout must be nchw or nhwc, got "hwcn"/);
    const ok = await rho("convert", onnx, "--out", join(dir, "c"), "--input-layout", "nhwc");
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(dir, "c", "MODEL_CARD.md"), "utf8")).toMatch(/input layout NHWC/);
    const net = await loadModel(join(dir, "c"));
    const e = JSON.parse(readFileSync(join(ONNX, "mlp-nhwc.expected.json"), "utf8")).inputs[1];
    const got = net.forward64(e.pixels).logits;
    for (const [j, v] of (e.logits as number[]).entries())
      expect(Math.abs((got[j] as number) - v)).toBeLessThan(1e-4);
  });

  it.each(["mlp-nd1", "bn", "conv-bn", "view"])(
    "%s: imported, attacked by alp and bounded by crown, the bound below the example",
    async (name) => {
      const onnx = join(ONNX, `${name}.onnx`);
      const net = await loadModel(onnx);
      const test = loadDataset("mnist", "test");
      const index = Array.from({ length: 100 }, (_, i) => i).find(
        (i) => net.predict64(image(test, i)) === test.labels[i],
      );
      expect(index, "a point the untrained fixture gets right").toBeDefined();
      const a = await rho("attack", "--model", onnx, "--index", String(index), "--backend", "cpu", "--json");
      expect(a.code, a.stderr).toBe(0);
      const b = await rho("bound", "--model", onnx, "--index", String(index), "--method", "crown", "--json");
      expect(b.code, b.stderr).toBe(0);
      const [attack, bound] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
      if (attack.status === "adversarial") expect(bound.lower).toBeLessThanOrEqual(attack.rho);
    },
  );
});
