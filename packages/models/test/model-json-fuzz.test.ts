// Bounded fuzzing of model loading: a saved model whose model.json or rho.json has a value
// replaced or removed anywhere loads as a network or fails with ModelError — never another error
// (which the CLI would report as an internal error) and never a hang.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadModel, ModelError, Network, saveModel } from "../src/index.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside a JSON document. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const here = [at];
  if (Array.isArray(v)) return here.concat(...v.map((x, i) => paths(x, [...at, i])));
  if (v && typeof v === "object")
    return here.concat(...Object.entries(v).map(([k, x]) => paths(x, [...at, k])));
  return here;
}

/** The document with the value at `path` replaced (or removed when `by` is undefined). */
function edit(doc: Json, path: (string | number)[], by: Json | undefined): Json {
  if (path.length === 0) return by === undefined ? null : by;
  const copy = structuredClone(doc) as Record<string | number, Json>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (by === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = by;
  return copy;
}

const arbJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(0, -1, 1.5, 1e300, Number.MAX_SAFE_INTEGER, 3),
  fc.constantFrom("", "relu", "float32", "Dense", "weights.bin", "../../etc/passwd"),
  fc.constant<Json>([]),
  fc.constant<Json>({}),
  fc.constant<Json>([null]),
);

describe("model loading under fuzzing", () => {
  let dir: string;
  let modelJson: Json;
  let rhoJson: Json;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "rho-model-fuzz-"));
    const net = new Network({
      inputShape: [4, 4, 1],
      layers: [
        {
          kind: "conv2d",
          filters: 2,
          kernel: [3, 3],
          strides: [1, 1],
          padding: "same",
          weights: new Float32Array(18).fill(0.1),
          bias: new Float32Array(2),
        },
        { kind: "relu" },
        { kind: "maxpool", size: [2, 2], strides: [2, 2], padding: "valid" },
        { kind: "flatten" },
        { kind: "dense", units: 3, weights: new Float32Array(24).fill(0.2), bias: new Float32Array(3) },
      ],
    });
    await saveModel(net, dir);
    modelJson = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
    rhoJson = JSON.parse(readFileSync(join(dir, "rho.json"), "utf8"));
  });

  const loadsOrRefuses = async (file: string, doc: Json) => {
    const original = readFileSync(join(dir, file), "utf8");
    writeFileSync(join(dir, file), JSON.stringify(doc));
    const t0 = performance.now();
    try {
      const net = await loadModel(dir);
      expect(net.outputSize).toBeGreaterThan(0);
    } catch (e) {
      if (!(e instanceof ModelError))
        throw new Error(`${(e as Error).name}: ${(e as Error).message} for ${JSON.stringify(doc)}`);
    } finally {
      writeFileSync(join(dir, file), original);
    }
    expect(performance.now() - t0).toBeLessThan(2000);
  };

  for (const file of ["model.json", "rho.json"] as const)
    it(`${file} with one value replaced or removed: a network or ModelError`, async () => {
      const doc = file === "model.json" ? modelJson : rhoJson;
      const all = paths(doc);
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: all.length - 1 }),
          fc.option(arbJson, { nil: undefined }),
          async (k, by) => {
            await loadsOrRefuses(file, edit(doc, all[k] as (string | number)[], by));
          },
        ),
        { numRuns: 300 },
      );
    }, 120_000);
});
