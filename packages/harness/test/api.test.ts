// The programmatic API: the calls the CLI makes, with hooks, an AbortSignal and thrown errors
// instead of printing and exit codes.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  attack,
  compare,
  type EvaluateOptions,
  evaluate,
  type ResultRow,
  readRun,
  UsageError,
} from "../src/index.js";
import { linearModel } from "./fixtures.js";

const root = mkdtempSync(join(tmpdir(), "rho-api-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const out = () => join(root, `run-${n++}`);
const comparable = (rows: readonly ResultRow[]) =>
  rows
    .map(({ seconds, stats, ...r }) => r)
    .sort((a, b) => a.index - b.index || a.attack.localeCompare(b.attack));

describe("evaluate", () => {
  let model: string;
  let base: Omit<EvaluateOptions, "out">;
  beforeAll(async () => {
    model = await linearModel();
    base = { model, dataset: "mnist", attacks: ["alp", "fgsm"], points: 6, backend: "cpu" };
  });

  it("returns the rows it wrote and their summary; reports each row through onResult", async () => {
    const seen: ResultRow[] = [];
    let total = -1;
    const run = await evaluate(
      { ...base, out: out() },
      { onStart: (i) => (total = i.total), onResult: (r) => seen.push(r) },
    );
    expect(total).toBe(12);
    expect(comparable(seen)).toEqual(comparable(run.rows));
    expect(comparable(readRun(run.dir).rows)).toEqual(comparable(run.rows));
    expect(run.summary.map((s) => s.attack)).toEqual(["alp", "fgsm"]);
    for (const s of run.summary) {
      const mine = run.rows.filter((r) => r.attack === s.attack);
      expect(s.points).toBe(mine.length);
      expect(s.adversarial).toBe(mine.filter((r) => r.verified && r.rho !== null && r.rho <= 20).length);
    }
  }, 60_000);

  it("an aborted run rejects, keeps what it wrote, and resumes to the rows of an uninterrupted one", async () => {
    const whole = await evaluate({ ...base, out: out() });
    const dir = out();
    const stop = new AbortController();
    let written = 0;
    await expect(
      evaluate(
        { ...base, out: dir },
        {
          onResult: () => {
            if (++written === 3) stop.abort();
          },
          signal: stop.signal,
        },
      ),
    ).rejects.toThrow(/abort/i);
    expect(readRun(dir).rows).toHaveLength(3);
    const resumed = await evaluate({ ...base, out: dir, resume: true });
    expect(comparable(resumed.rows)).toEqual(comparable(whole.rows));
  }, 90_000);

  it("resumed with more points (first N or a seeded sample), a run keeps its rows and runs only the new points", async () => {
    for (const sample of [undefined, 3]) {
      const s = sample === undefined ? {} : { sample };
      const whole = await evaluate({ ...base, ...s, out: out() });
      const dir = out();
      const small = await evaluate({ ...base, ...s, points: 4, out: dir });
      let todo = -1;
      const grown = await evaluate(
        { ...base, ...s, out: dir, resume: true },
        { onStart: (i) => (todo = i.total) },
      );
      expect(todo).toBe(12 - small.rows.length);
      expect(comparable(grown.rows)).toEqual(comparable(whole.rows));
      expect(readRun(dir).spec.points).toEqual(readRun(whole.dir).spec.points);
      // fewer points is another run, not a part of this one
      await expect(evaluate({ ...base, ...s, points: 5, out: dir, resume: true })).rejects.toThrow(
        /holds a different run \(points; --points \(6 vs 5\)/,
      );
    }
  }, 120_000);

  it("bad input throws a UsageError before anything is written", async () => {
    const dir = out();
    const bad: [Partial<EvaluateOptions>, RegExp][] = [
      [{ attacks: ["nope"] }, /unknown attack "nope"/],
      [{ attacks: [{ name: "alp", options: { margin: -1 } }] }, /alp: option margin must be/],
      [{ attacks: [{ name: "fgsm", options: { steps: 3 } }] }, /fgsm has no option "steps"/],
      [{ bounds: ["ibp", "ibp"] }, /named twice/],
      [{ target: 12 }, /the model has labels 0..9/],
      [{ shard: { index: 2, count: 2 } }, /shard/],
      [{ dataset: "nope" }, /nope/],
      // a bound whose memory estimate exceeds the limit is refused with what it would need
      [{ bounds: ["crown"], memoryLimit: 1000 }, /crown on .* would need about .* GB of memory/],
    ];
    for (const [change, message] of bad) {
      const p = evaluate({ ...base, ...change, out: dir } as EvaluateOptions);
      await expect(p).rejects.toBeInstanceOf(UsageError);
      await expect(p).rejects.toThrow(message);
      expect(existsSync(dir)).toBe(false);
    }
  }, 60_000);

  it("compare sees two runs of one model as equal and crosses no threshold", async () => {
    const a = await evaluate({ ...base, out: out() });
    const b = await evaluate({ ...base, out: out() });
    const c = compare(a.dir, b.dir, { maxFrequencyIncrease: 0, maxSeverityDecrease: 0 });
    expect(c.failures).toEqual([]);
    expect(c.partial).toEqual([]);
    for (const x of c.attacks) expect(x.frequencyChange).toBe(0);
    expect(() => compare(a.dir, join(root, "none"))).toThrow(UsageError);
  }, 90_000);
});

describe("attack", () => {
  it("one point: the verified example lies at ρ̂ from the point's pixels", async () => {
    const r = await attack({ model: "mlp", dataset: "mnist", index: 0, attack: "alp-walk", backend: "cpu" });
    expect(r.family).toBe("minimum-distance");
    expect(r.result.status).toBe("adversarial");
    const x = r.result.adversarial as Float64Array;
    const dist = Math.max(...Array.from(x, (v, i) => Math.abs(v - (r.pixels[i] as number))));
    expect(dist).toBeCloseTo(r.result.rho, 9);
    expect(r.result.verified?.float32).toBe(true);
  }, 60_000);
});
