import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { PNG } from "pngjs";
import { beforeAll, describe, expect, it } from "vitest";
import { rho } from "./capture.js";
import { linearModel } from "./fixtures.js";

describe("rho report", () => {
  let model: string;
  let runA: string;
  let runB: string;
  let evalA: {
    summary: {
      attack: string;
      family: string;
      adversarial: number;
      correct: number;
      severity: { value: number };
    }[];
  };
  const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), "rho-report-")), name);
  const evalRun = async (eps: string) => {
    const dir = tmp("results");
    const r = await rho(
      "eval",
      "--model",
      model,
      "--attacks",
      "alp,fgsm",
      "--points",
      "8",
      "--eps",
      eps,
      "--workers",
      "1",
      "--backend",
      "cpu",
      "--out",
      dir,
      "--json",
    );
    expect(r.code).toBe(0);
    return { dir, json: JSON.parse(r.stdout) };
  };
  beforeAll(async () => {
    model = await linearModel();
    const a = await evalRun("20");
    runA = a.dir;
    evalA = a.json;
    runB = (await evalRun("20")).dir;
  }, 120_000);

  it("eval → report: Table 1 agrees with eval, Figure 3's curves count the points, Figure 2 shows verified examples", async () => {
    const out = tmp("report");
    const r = await rho("report", runA, runB, "--names", "first,second", "--out", out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /\| model \| points \| accuracy \| alp frequency \| alp severity \(px\) \| fgsm frequency/,
    );
    for (const f of [
      "index.html",
      "table1.md",
      "table1.csv",
      "figure3.svg",
      "figure3.png",
      "figure3.vl.json",
    ])
      expect(existsSync(join(out, f)), f).toBe(true);

    const csv = parse(readFileSync(join(out, "table1.csv"), "utf8"), { columns: true }) as Record<
      string,
      string
    >[];
    expect(csv.map((c) => `${c.model}/${c.attack}`)).toEqual([
      "first/alp",
      "first/fgsm",
      "second/alp",
      "second/fgsm",
    ]);
    for (const s of evalA.summary) {
      const c = csv.find((x) => x.model === "first" && x.attack === s.attack) as Record<string, string>;
      expect(Number(c.adversarial)).toBe(s.adversarial);
      expect(Number(c.frequency)).toBeCloseTo(s.adversarial / s.correct, 12);
      if (s.adversarial && s.family === "minimum-distance")
        expect(Number(c.severity)).toBeCloseTo(s.severity.value, 12);
    }
    // fgsm is fixed-ε: no severity in Table 1, no curve in Figure 3
    const fgsmRow = csv.find((x) => x.model === "first" && x.attack === "fgsm") as Record<string, string>;
    expect(fgsmRow.severity).toBe("");

    // Figure 3's data: a non-decreasing step function that reaches eval's count at ε
    const spec = JSON.parse(readFileSync(join(out, "figure3.vl.json"), "utf8"));
    expect((spec.data.values as { attack: string }[]).some((p) => p.attack === "fgsm")).toBe(false);
    for (const s of evalA.summary.filter((x) => x.family === "minimum-distance")) {
      const curve = (spec.data.values as { model: string; attack: string; eps: number; count: number }[])
        .filter((p) => p.model === "first" && p.attack === s.attack)
        .sort((x, y) => x.eps - y.eps);
      expect(curve[0]?.eps).toBe(0);
      for (let i = 1; i < curve.length; i++)
        expect(curve[i]?.count).toBeGreaterThanOrEqual(curve[i - 1]?.count as number);
      const atEps = curve.filter((p) => p.eps <= 20).at(-1);
      expect(atEps?.count).toBe(s.adversarial);
    }
    expect(readFileSync(join(out, "figure3.svg"), "utf8")).toMatch(/^<svg[^>]*>.*first.*second/s);
    const png = PNG.sync.read(readFileSync(join(out, "figure3.png")));
    expect(png.width).toBeGreaterThan(400);

    // Figure 2: one image per verified example of the chosen points, three 28×28 panels enlarged
    const html = readFileSync(join(out, "index.html"), "utf8");
    const images = [...html.matchAll(/src="figure2\/([^"]+)"/g)].map((m) => m[1] as string);
    // a linear model's region is the whole box: ALP finds an example on every point
    expect(images.length).toBeGreaterThanOrEqual(4);
    for (const f of images) {
      const img = PNG.sync.read(readFileSync(join(out, "figure2", f)));
      expect(img.height).toBe(112);
      expect(img.width).toBe(3 * 112 + 8);
    }
    expect(html).toMatch(/<td>first<\/td><td>8<\/td>/);
  });

  it("refuses shards, mismatched names and missing runs with one line and exit code 2; keeps an earlier report", async () => {
    const out = tmp("report");
    expect((await rho("report", runA, "--out", out)).code).toBe(0);
    const shard = tmp("shard");
    await rho(
      "eval",
      "--model",
      model,
      "--attacks",
      "fgsm",
      "--points",
      "4",
      "--shard",
      "0/2",
      "--workers",
      "1",
      "--backend",
      "cpu",
      "--out",
      shard,
    );
    const cases: [string[], RegExp][] = [
      [[shard], /is shard 0\/2 of a run: join the shards with rho merge first/],
      [[runA, "--names", "a,b"], /--names gives 2 names for 1 results directories/],
      [[tmp("nothing")], /holds no rho eval run/],
    ];
    for (const [args, message] of cases) {
      const r = await rho("report", ...args, "--out", out);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(join(out, "index.html"))).toBe(true);
    // a directory that is not a report is never replaced
    const precious = tmp("precious");
    mkdirSync(precious);
    writeFileSync(join(precious, "notes.txt"), "mine");
    const refused = await rho("report", runA, "--out", precious);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/exists and is not a rho report/);
    expect(readFileSync(join(precious, "notes.txt"), "utf8")).toBe("mine");
  });
});
