// rho verify on an ONNX network with VNN-LIB properties written here (VNN-COMP's mnistfc form).
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel, rawPixels } from "@rho/models";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { rho } from "./capture.js";

const ONNX = fileURLToPath(new URL("../../models/test/fixtures/onnx/mlp-nd1.onnx", import.meta.url));

/** mnistfc's property: the box x ± eps in [0, 1]; unsafe if some other output reaches `label`'s. */
function property(x: readonly number[], eps: number, label: number): string {
  const lines = x.map((_, i) => `(declare-const X_${i} Real)`);
  for (let j = 0; j < 10; j++) lines.push(`(declare-const Y_${j} Real)`);
  x.forEach((v, i) => {
    lines.push(
      `(assert (<= X_${i} ${Math.min(1, v + eps)}))`,
      `(assert (>= X_${i} ${Math.max(0, v - eps)}))`,
    );
  });
  const others = Array.from({ length: 10 }, (_, j) => j).filter((j) => j !== label);
  lines.push(`(assert (or ${others.map((j) => `(and (>= Y_${j} Y_${label}))`).join(" ")}))`);
  return lines.join("\n");
}

describe("rho verify", () => {
  const dir = mkdtempSync(join(tmpdir(), "rho-verify-"));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it("unsat for a tiny box, sat with a replayable counterexample for the whole input space", async () => {
    const net = await loadModel(ONNX, rawPixels(1));
    const x = Array.from({ length: 784 }, (_, i) => ((i * 37) % 101) / 100);
    const label = net.predict64(x);
    const tiny = await rho(
      "verify",
      "--model",
      ONNX,
      "--spec",
      write("tiny.vnnlib", property(x, 1e-6, label)),
      "--backend",
      "cpu",
      "--json",
    );
    expect(tiny.code, tiny.stderr).toBe(0);
    expect(JSON.parse(tiny.stdout)).toMatchObject({ status: "unsat", stage: "crown" });
    const ce = join(dir, "ce.txt");
    const all = await rho(
      "verify",
      "--model",
      ONNX,
      "--spec",
      write("all.vnnlib", property(x, 1, label)),
      "--counterexample",
      ce,
      "--backend",
      "cpu",
    );
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^sat/);
    // the counterexample file replays: its X gives its Y, and another output reaches the label's
    const text = readFileSync(ce, "utf8");
    expect(text.startsWith("sat\n((X_0 ")).toBe(true);
    const values = [...text.matchAll(/\((X|Y)_(\d+) ([^)]+)\)/g)];
    const cx = values.filter((m) => m[1] === "X").map((m) => Number(m[3]));
    const cy = values.filter((m) => m[1] === "Y").map((m) => Number(m[3]));
    expect(cx).toHaveLength(784);
    const y = net.forward64(cx).logits;
    for (const [j, v] of cy.entries()) expect(v).toBeCloseTo(y[j] as number, 9);
    expect(cy.some((v, j) => j !== label && v >= (cy[label] as number))).toBe(true);
  }, 120_000);

  it("an NCHW colour network: X_i index the graph's planes; the counterexample replays in onnxruntime", async () => {
    // the NiN-style fixture (3×16×16): X_i in NCHW order, the box the whole input space
    const file = fileURLToPath(new URL("../../models/test/fixtures/onnx/nin.onnx", import.meta.url));
    const net = await loadModel(file, rawPixels(3));
    const x = Array.from({ length: 3 * 16 * 16 }, (_, i) => ((i * 53) % 97) / 96);
    // rho's pixels interleave channels: X_(c·256 + p) is rho's input p·3 + c
    const rhoX = Array.from({ length: x.length }, (_, k) => x[(k % 3) * 256 + Math.floor(k / 3)] as number);
    const label = net.predict64(rhoX);
    const ce = join(dir, "ce-colour.txt");
    const r = await rho(
      ...["verify", "--model", file, "--spec", write("colour.vnnlib", property(x, 1, label))],
      ...["--counterexample", ce, "--backend", "cpu"],
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sat/);
    const values = [...readFileSync(ce, "utf8").matchAll(/\((X|Y)_(\d+) ([^)]+)\)/g)];
    const cx = values.filter((m) => m[1] === "X").map((m) => Number(m[3]));
    const cy = values.filter((m) => m[1] === "Y").map((m) => Number(m[3]));
    // onnxruntime on the graph itself, fed X in the graph's own (NCHW) order, gives Y
    const session = await ort.InferenceSession.create(file);
    const out = await session.run({
      [session.inputNames[0] as string]: new ort.Tensor("float32", Float32Array.from(cx), [1, 3, 16, 16]),
    });
    const y = out[session.outputNames[0] as string]?.data as Float32Array;
    for (const [j, v] of cy.entries())
      expect(Math.abs(v - (y[j] as number))).toBeLessThan(1e-3 * Math.max(1, Math.abs(v)));
    expect(cy.some((v, j) => j !== label && v >= (cy[label] as number))).toBe(true);
    await session.release();
  }, 120_000);

  it("refuses a malformed spec with its line and column, and a spec of another size", async () => {
    const bad = await rho(
      "verify",
      "--model",
      ONNX,
      "--spec",
      write("bad.vnnlib", "(declare-const X_0 Real)\n(assert (< X_0 1))"),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad.vnnlib:2:10: "<" is not supported/);
    const small = write(
      "small.vnnlib",
      "(declare-const X_0 Real) (declare-const Y_0 Real) (assert (>= X_0 0)) (assert (<= X_0 1))",
    );
    const other = await rho("verify", "--model", ONNX, "--spec", small);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/1 inputs, the network 784/);
    expect((await rho("verify", "--model", ONNX, "--spec", join(dir, "none.vnnlib"))).stderr).toMatch(
      /cannot read/,
    );
  });

  it("--instances runs a benchmark folder into a results csv; --resume neither repeats nor drops one", async () => {
    const bench = mkdtempSync(join(tmpdir(), "rho-verify-bench-"));
    copyFileSync(ONNX, join(bench, "net.onnx"));
    const net = await loadModel(ONNX, rawPixels(1));
    const x = Array.from({ length: 784 }, (_, i) => ((i * 53) % 97) / 96);
    const label = net.predict64(x);
    writeFileSync(join(bench, "tiny.vnnlib"), property(x, 1e-6, label));
    writeFileSync(join(bench, "all.vnnlib"), property(x, 1, label));
    writeFileSync(join(bench, "broken.vnnlib"), "(declare-const X_0 Real");
    writeFileSync(
      join(bench, "instances.csv"),
      "net.onnx,tiny.vnnlib,30\nnet.onnx,all.vnnlib,30\nnet.onnx,broken.vnnlib,30\n",
    );
    const results = join(bench, "results.csv");
    const run = (...extra: string[]) =>
      rho(
        "verify",
        "--instances",
        join(bench, "instances.csv"),
        "--out",
        results,
        "--backend",
        "cpu",
        ...extra,
      );
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    const rows = () =>
      readFileSync(results, "utf8")
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => l.split(","));
    expect(rows().map((r) => [r[1], r[2]])).toEqual([
      ["tiny.vnnlib", "unsat"],
      ["all.vnnlib", "sat"],
      ["broken.vnnlib", "error"],
    ]);
    expect((await run()).code).toBe(2); // a second run needs --resume
    // killed after the first row, in the middle of writing the second
    const lines = readFileSync(results, "utf8").split("\n");
    writeFileSync(results, `${lines[0]}\n${lines[1]}\nnet.onnx,all.vn`);
    const resumed = await run("--resume");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming: 1 results kept, 2 to go/);
    expect(rows().map((r) => r[1])).toEqual(["tiny.vnnlib", "all.vnnlib", "broken.vnnlib"]);

    // two shards, then rho merge: the single run's rows, in the instances file's order
    const shard = (i: number, ...extra: string[]) =>
      rho(
        "verify",
        "--instances",
        join(bench, "instances.csv"),
        "--out",
        join(bench, `shard${i}.csv`),
        "--shard",
        `${i}/2`,
        "--backend",
        "cpu",
        ...extra,
      );
    expect((await shard(1)).code).toBe(0);
    const merged = join(bench, "merged.csv");
    const early = await rho("merge", join(bench, "shard1.csv"), "--out", merged);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/shards missing: 0\/2/);
    expect((await shard(0)).code).toBe(0);
    // a shard resumed as another shard is refused
    expect((await shard(0, "--resume", "--shard", "1/2")).stderr).toMatch(/holds results of .* shard 0\/2/);
    const m = await rho("merge", join(bench, "shard1.csv"), join(bench, "shard0.csv"), "--out", merged);
    expect(m.code, m.stderr).toBe(0);
    const cols = (file: string) =>
      readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split(",").slice(0, 3).join(","));
    expect(cols(merged)).toEqual(cols(results));
    // two workers: the same rows, in the order they finished
    const parallel = join(bench, "parallel.csv");
    const w = await rho(
      "verify",
      "--instances",
      join(bench, "instances.csv"),
      "--out",
      parallel,
      "--workers",
      "2",
      "--backend",
      "cpu",
    );
    expect(w.code, w.stderr).toBe(0);
    expect(cols(parallel).sort()).toEqual(cols(results).sort());
  }, 180_000);
});
