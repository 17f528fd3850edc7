import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { rho } from "./capture.js";
import { linearModel } from "./fixtures.js";

const rows = (dir: string) =>
  readFileSync(join(dir, "results.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const { seconds, stats, ...r } = JSON.parse(l);
      return r;
    })
    .sort((a, b) => a.index - b.index || a.attack.localeCompare(b.attack));

describe("rho eval", () => {
  let model: string;
  const out = () => join(mkdtempSync(join(tmpdir(), "rho-eval-")), "results");
  const common = () => [
    "eval",
    "--model",
    model,
    "--attacks",
    "alp,fgsm",
    "--points",
    "6",
    "--backend",
    "cpu",
  ];
  beforeAll(async () => {
    model = await linearModel();
  });

  it("evaluates every attack on every point, records provenance, and prints frequency and severity", async () => {
    const dir = out();
    const r = await rho(...common(), "--out", dir, "--workers", "1", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary.map((s: { attack: string }) => s.attack)).toEqual(["alp", "fgsm"]);
    const alp = j.summary[0];
    expect(alp.points).toBe(6);
    expect(alp.correct + alp.misclassified).toBe(6);
    expect(alp.frequency.value).toBeCloseTo(alp.adversarial / alp.correct, 12);
    const results = rows(dir);
    expect(results).toHaveLength(12);
    const spec = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    expect(spec).toMatchObject({
      rho: "0.2.0",
      eps: 20,
      points: [0, 1, 2, 3, 4, 5],
      pointsRequested: 6,
      sample: null,
      target: "second",
    });
    // every option each attack ran with, defaults filled in; fgsm's radius is --eps
    expect(spec.attacks[0]).toMatchObject({
      name: "alp",
      family: "minimum-distance",
      options: { solver: "highs", margin: 0.001 },
    });
    expect(spec.attacks[1]).toEqual({ name: "fgsm", family: "fixed-epsilon", options: { eps: 20 } });
    // a fixed-ε attack has a frequency and no severity
    expect(j.summary[1].severity.value).toBeNull();
    expect(spec.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(spec.dataset.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a run killed mid-way and resumed equals an uninterrupted one; a different run is refused", async () => {
    const whole = out();
    await rho(...common(), "--out", whole, "--workers", "1");
    const killed = out();
    await rho(...common(), "--out", killed, "--workers", "1");
    // keep 5 finished lines and half of the sixth, as a kill during a write would
    const lines = readFileSync(join(killed, "results.jsonl"), "utf8").split("\n").filter(Boolean);
    writeFileSync(
      join(killed, "results.jsonl"),
      `${lines.slice(0, 5).join("\n")}\n${(lines[5] as string).slice(0, 20)}`,
    );
    const again = await rho(...common(), "--out", killed, "--workers", "1");
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a run: resume it \(--resume\)/);
    const resumed = await rho(...common(), "--out", killed, "--workers", "1", "--resume");
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming: 5 results kept, 7 to go/);
    expect(rows(killed)).toEqual(rows(whole));
    const other = await rho(...common(), "--out", killed, "--resume", "--eps", "10");
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a different run \(.*ε \(20 vs 10\)\)/);
  });

  it("a run resumed with attacks added keeps its rows and runs only the new attacks; changing or dropping one is refused", async () => {
    const base = ["eval", "--model", model, "--points", "6", "--backend", "cpu", "--workers", "1"];
    const whole = out();
    await rho(...base, "--attacks", "alp,fgsm", "--out", whole);
    const grown = out();
    await rho(...base, "--attacks", "fgsm", "--out", grown);
    const fgsmRows = readFileSync(join(grown, "results.jsonl"), "utf8");
    const added = await rho(...base, "--attacks", "alp,fgsm", "--out", grown, "--resume");
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toMatch(/resuming: 6 results kept, 6 to go/);
    // the fgsm rows are the ones first written, untouched; with alp's the run equals one made whole
    expect(readFileSync(join(grown, "results.jsonl"), "utf8").startsWith(fgsmRows)).toBe(true);
    expect(rows(grown)).toEqual(rows(whole));
    const spec = JSON.parse(readFileSync(join(grown, "run.json"), "utf8"));
    expect(spec.attacks.map((a: { name: string }) => a.name)).toEqual(["alp", "fgsm"]);
    const changed = await rho(
      ...base,
      "--attacks",
      "alp,fgsm,lbfgs",
      "--opt",
      "alp.margin=0.01",
      "--out",
      grown,
      "--resume",
    );
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(
      /holds a different run \(attacks \(alp,fgsm vs alp,fgsm,lbfgs\)\).*attacks and points may only be added/,
    );
    const dropped = await rho(...base, "--attacks", "alp", "--out", grown, "--resume");
    expect(dropped.code).toBe(2);
    expect(dropped.stderr).toMatch(/holds a different run \(attacks \(alp,fgsm vs alp\)\)/);
  });

  it("shards split the points deterministically and together equal a single run; workers change nothing", async () => {
    const single = out();
    await rho(...common(), "--out", single, "--workers", "1", "--sample", "3");
    const a = out();
    const b = out();
    await rho(...common(), "--out", a, "--workers", "2", "--sample", "3", "--shard", "0/2");
    await rho(...common(), "--out", b, "--workers", "2", "--sample", "3", "--shard", "1/2");
    const union = [...rows(a), ...rows(b)].sort(
      (x, y) => x.index - y.index || x.attack.localeCompare(y.attack),
    );
    expect(union).toEqual(rows(single));
    expect(rows(a).every((r) => !rows(b).some((s) => s.index === r.index))).toBe(true);

    // rho merge: the same run.json and rows as the single run
    const merged = out();
    const m = await rho("merge", b, a, "--out", merged);
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/merged 2 shards: 6 points, 12 results/);
    expect(rows(merged)).toEqual(rows(single));
    const spec = (d: string) => JSON.parse(readFileSync(join(d, "run.json"), "utf8"));
    expect(spec(merged)).toEqual(spec(single));

    const refusals: [string[], RegExp][] = [
      [[a, "--out", out()], /shards missing: 1\/2/],
      [[a, a, "--out", out()], /shard 0\/2 given twice/],
      [[a, single, "--out", out()], /is not a shard/],
      [[a, b, "--out", merged], /already holds a run/],
    ];
    // an unfinished shard: one result lost
    const cut = out();
    await rho(...common(), "--out", cut, "--workers", "1", "--sample", "3", "--shard", "1/2");
    const lines = readFileSync(join(cut, "results.jsonl"), "utf8").split("\n").filter(Boolean);
    writeFileSync(join(cut, "results.jsonl"), `${lines.slice(1).join("\n")}\n`);
    refusals.push([
      [a, cut, "--out", out()],
      /unfinished: 1 of 6 results missing; finish it with rho eval --resume/,
    ]);
    // a shard of another run (other ε)
    const other = out();
    await rho(
      ...common(),
      "--out",
      other,
      "--workers",
      "1",
      "--sample",
      "3",
      "--shard",
      "1/2",
      "--eps",
      "10",
    );
    refusals.push([[a, other, "--out", out()], /shard of a different run \(.*ε \(20 vs 10\)\)/]);
    for (const [args, message] of refusals) {
      const r = await rho("merge", ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  }, 180_000);

  it("rho compare: side by side, a CI gate on thresholds, and no comparison across different points", async () => {
    const a = out();
    const b = out();
    await rho(...common(), "--out", a, "--workers", "1");
    await rho(...common(), "--out", b, "--workers", "1");
    const same = await rho(
      "compare",
      a,
      b,
      "--max-frequency-increase",
      "0",
      "--max-severity-decrease",
      "0",
      "--json",
    );
    expect(same.code).toBe(0);
    const j = JSON.parse(same.stdout);
    expect(j.attacks.map((t: { attack: string }) => t.attack)).toEqual(["alp", "fgsm"]);
    expect(j.attacks[0].frequencyChange).toBe(0);
    expect(j.failures).toEqual([]);
    // a gate no run can pass: frequency may not even stay the same
    const gate = await rho("compare", a, b, "--max-frequency-increase", "-1");
    expect(gate.code).toBe(1);
    expect(gate.stderr).toMatch(/threshold crossed: alp: frequency up 0.0 points \(allowed -1\)/);
    expect(gate.stdout).toMatch(/\| alp \| \d/);
    const fewer = out();
    await rho(...common().map((x) => (x === "6" ? "4" : x)), "--out", fewer, "--workers", "1");
    const refused = await rho("compare", a, fewer);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not comparable: they differ in points; --points \(6 vs 4\)/);
    const notANumber = await rho("compare", a, b, "--max-frequency-increase", "xyz");
    expect(notANumber.code).toBe(2);
    expect(notANumber.stderr).toMatch(/expected a number, got "xyz"/);
    // an unfinished run (killed: rows lost) is refused, unless asked, and then it says so
    const lines = readFileSync(join(b, "results.jsonl"), "utf8").split("\n").filter(Boolean);
    writeFileSync(join(b, "results.jsonl"), `${lines.slice(2).join("\n")}\n`);
    const unfinished = await rho("compare", a, b);
    expect(unfinished.code).toBe(2);
    expect(unfinished.stderr).toMatch(/is unfinished \(2 results missing\).*--allow-partial/);
    const partial = await rho("compare", a, b, "--allow-partial", "--json");
    expect(partial.code).toBe(0);
    expect(JSON.parse(partial.stdout)).toMatchObject({ partial: true });
  });

  it("refuses bad input with one line and exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--attacks", "alp,nope"], /unknown attack "nope"/],
      [["--shard", "2/2"], /--shard must be i\/n with 0 ≤ i < n/],
    ];
    // a directory below a plain file cannot be created
    const file = join(mkdtempSync(join(tmpdir(), "rho-file-")), "plain");
    writeFileSync(file, "");
    cases.push([["--out", join(file, "results")], /cannot write to .*plain\/results/]);
    for (const [extra, message] of cases) {
      const r = await rho(...common(), "--out", out(), ...extra);
      expect(r.code, extra.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
