// Model files are input from anyone: the files they name are read only from inside their own
// folder, sizes are checked before anything loops or allocates, and the logits are never guessed.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { beforeAll, describe, expect, it } from "vitest";
import { lenet, loadModel, ModelError, modelFiles, Network, saveModel, useBackend } from "../src/index.js";

const { onnx } = onnxProto;
const FIXTURES = join(import.meta.dirname, "fixtures", "onnx");
type Model = ReturnType<typeof onnx.ModelProto.decode>;

beforeAll(async () => {
  await useBackend("cpu");
});

/** A fresh folder holding the fixture with external data (mlp-functions) and its data file. */
function externalDataModel(): { dir: string; file: string; model: Model } {
  const dir = mkdtempSync(join(tmpdir(), "rho-folder-"));
  copyFileSync(join(FIXTURES, "mlp-functions.onnx.data"), join(dir, "mlp-functions.onnx.data"));
  const file = join(dir, "mlp-functions.onnx");
  copyFileSync(join(FIXTURES, "mlp-functions.onnx"), file);
  return { dir, file, model: onnx.ModelProto.decode(readFileSync(file)) };
}

/** The model with every external data location replaced by `location`, written beside the original. */
function pointingAt(location: string): { dir: string; file: string } {
  const { dir, model } = externalDataModel();
  let changed = 0;
  for (const t of model.graph?.initializer ?? [])
    for (const e of t.externalData ?? [])
      if (e.key === "location") {
        e.value = location;
        changed++;
      }
  expect(changed).toBeGreaterThan(0);
  const file = join(dir, "crafted.onnx");
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
  return { dir, file };
}

async function refusal(load: () => Promise<unknown>): Promise<string> {
  const err = await load().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  const message = (err as Error).message;
  expect(message).not.toContain("\n");
  return message;
}

// a file outside every model folder, with content and a size a leak would show
const secretDir = mkdtempSync(join(tmpdir(), "rho-secret-"));
const secret = join(secretDir, "secret.bin");
writeFileSync(secret, Buffer.alloc(12_345, 7));

describe("ONNX external data stays inside the model's folder", () => {
  it.each([
    ["a relative path up and out", () => `../${secretDir.split("/").pop()}/secret.bin`],
    ["many levels up", () => "../../../../../../../../etc/passwd"],
    ["an absolute path", () => secret],
    ["/etc/shadow", () => "/etc/shadow"],
    ["/proc/self/environ", () => "/proc/self/environ"],
    ["/dev/zero", () => "/dev/zero"],
    ["a path that leaves and comes back", () => "sub/../../x/../crafted.onnx"],
  ])("%s is refused, and the message tells nothing of the outside file", async (_, where) => {
    const { file } = pointingAt(where());
    const message = await refusal(() => loadModel(file));
    expect(message).toMatch(/outside the model's folder/);
    expect(message).not.toMatch(/12345|12,345|bytes|cannot be read|exist|ENOENT|EACCES/);
    // the run identity's file list refuses it the same way
    expect(await refusal(() => modelFiles(file))).toMatch(/outside the model's folder/);
  });

  it("an existing and a missing outside file give the same answer", async () => {
    const a = await refusal(() => loadModel(pointingAt("../../../../../etc/passwd").file));
    const b = await refusal(() => loadModel(pointingAt("../../../../../etc/no-such-file").file));
    const strip = (m: string) => m.replace(/"[^"]*"/g, "NAME").replace(/\/tmp\/rho-folder-\w+/g, "DIR");
    expect(strip(a)).toBe(strip(b));
  });

  it("a link out of the folder is refused; a link inside it is followed", async () => {
    const out = pointingAt("link.data");
    symlinkSync(secret, join(out.dir, "link.data"));
    expect(await refusal(() => loadModel(out.file))).toMatch(/outside the model's folder/);
    const ok = pointingAt("link.data");
    symlinkSync(join(ok.dir, "mlp-functions.onnx.data"), join(ok.dir, "link.data"));
    const net = await loadModel(ok.file);
    const ref = await loadModel(externalDataModel().file);
    const px = Array.from({ length: 784 }, (_, i) => (i * 37) % 256);
    expect(Array.from(net.forward64(px).logits)).toEqual(Array.from(ref.forward64(px).logits));
  });

  it("a folder, a FIFO (which would block a read) and a missing name inside are refused", async () => {
    const d = pointingAt("sub");
    mkdirSync(join(d.dir, "sub"));
    expect(await refusal(() => loadModel(d.file))).toMatch(/not a regular file/);
    const f = pointingAt("pipe");
    execFileSync("mkfifo", [join(f.dir, "pipe")]);
    expect(await refusal(() => loadModel(f.file))).toMatch(/not a regular file/);
    expect(await refusal(() => loadModel(pointingAt("gone.data").file))).toMatch(/not in the model's folder/);
  });

  it("a data range past the end of the file is refused before reading", async () => {
    const { dir, model } = externalDataModel();
    const t = (model.graph?.initializer ?? []).find((x) => (x.externalData ?? []).length > 0);
    const offset = t?.externalData?.find((e) => e.key === "offset");
    if (offset) offset.value = "999999999";
    else t?.externalData?.push(onnx.StringStringEntryProto.create({ key: "offset", value: "999999999" }));
    const file = join(dir, "far.onnx");
    writeFileSync(file, onnx.ModelProto.encode(model).finish());
    expect(await refusal(() => loadModel(file))).toMatch(/beyond the end of the file|bytes for/);
  });
});

describe("TensorFlow.js weight shards stay inside the model's folder", () => {
  it.each([
    ["../ up and out", () => `../${secretDir.split("/").pop()}/secret.bin`],
    ["an absolute path", () => secret],
    ["/dev/zero", () => "/dev/zero"],
  ])("%s is refused without its size", async (_, shard) => {
    const dir = mkdtempSync(join(tmpdir(), "rho-folder-"));
    await saveModel(lenet(1), dir);
    const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
    json.weightsManifest[0].paths = [shard()];
    writeFileSync(join(dir, "model.json"), JSON.stringify(json));
    const message = await refusal(() => loadModel(dir));
    expect(message).toMatch(/outside the model's folder/);
    expect(message).not.toMatch(/12345|bytes/);
    expect(await refusal(() => modelFiles(dir))).toMatch(/outside the model's folder/);
  });
});

describe("sizes are checked before any loop or allocation", () => {
  it("a weight with dims [1e12, 1, 0, 5] is refused at once", async () => {
    const { dir, model } = externalDataModel();
    const t = (model.graph?.initializer ?? [])[0] as { dims: number[] };
    t.dims = [1e12, 1, 0, 5];
    const file = join(dir, "huge.onnx");
    writeFileSync(file, onnx.ModelProto.encode(model).finish());
    const t0 = performance.now();
    expect(await refusal(() => loadModel(file))).toMatch(/dims \[1000000000000,1,0,5\] exceed/);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it("a layer with no units is refused", () => {
    const dense = (units: number) =>
      ({
        kind: "dense",
        units,
        weights: new Float32Array(4 * units),
        bias: new Float32Array(units),
      }) as const;
    expect(() => new Network({ inputShape: [4], layers: [dense(0)] })).toThrow(/output 0 is empty/);
  });
});

describe("a graph with several outputs", () => {
  it("is refused unless the logits are named, then loads the named one", async () => {
    const file = join(FIXTURES, "mlp.onnx");
    const model = onnx.ModelProto.decode(readFileSync(file));
    const graph = model.graph as NonNullable<Model["graph"]>;
    const logits = graph.output?.[0]?.name as string;
    const hidden = graph.node?.find((n) => n.opType === "Relu")?.output?.[0] as string;
    graph.output = [onnx.ValueInfoProto.create({ name: hidden }), ...(graph.output ?? [])];
    const dir = mkdtempSync(join(tmpdir(), "rho-folder-"));
    const two = join(dir, "two.onnx");
    writeFileSync(two, onnx.ModelProto.encode(model).finish());
    expect(await refusal(() => loadModel(two))).toMatch(/2 outputs .*name the logits with --output NAME/);
    expect(await refusal(() => loadModel(two, undefined, { output: "nope" }))).toMatch(/no output "nope"/);
    const named = await loadModel(two, undefined, { output: logits });
    const ref = await loadModel(file);
    const px = Array.from({ length: 784 }, (_, i) => (i * 11) % 256);
    expect(Array.from(named.forward64(px).logits)).toEqual(Array.from(ref.forward64(px).logits));
  });
});
