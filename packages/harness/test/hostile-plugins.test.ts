// `rho eval` against plug-ins that misbehave (fixtures/hostile-attacks.mjs): rows that count are
// verified, shares add up, nothing a plug-in does changes what the other attacks see, and no
// plug-in can hang the run or end it early.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { image, loadDataset } from "@rho/datasets";
import { loadModel } from "@rho/models";
import { beforeAll, describe, expect, it } from "vitest";
import { rho } from "./capture.js";
import { linearModel } from "./fixtures.js";

const plugin = fileURLToPath(new URL("./fixtures/hostile-attacks.mjs", import.meta.url));
const rows = (dir: string) =>
  readFileSync(join(dir, "results.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe("rho eval with hostile plug-ins", () => {
  let model: string;
  const out = () => join(mkdtempSync(join(tmpdir(), "rho-hostile-")), "run");
  const evalArgs = (dir: string, attacks: string, ...extra: string[]) => [
    "--plugin",
    plugin,
    "eval",
    "--model",
    model,
    "--attacks",
    attacks,
    "--points",
    "3",
    "--backend",
    "cpu",
    "--workers",
    "1",
    "--out",
    dir,
    "--json",
    ...extra,
  ];
  beforeAll(async () => {
    model = await linearModel();
  });

  it("broken examples are error rows; x* is untouched for the attacks after; the shares add up", async () => {
    const dir = out();
    const attacks = "nan-example,unclipped,wrong-length,no-diagnostics,mutator,fgsm";
    const r = await rho(...evalArgs(dir, attacks, "--bounds", "crown"));
    expect(r.code, r.stderr).toBe(0);
    const all = rows(dir);
    expect(all).toHaveLength(3 * 7);
    for (const row of all.filter((x) =>
      ["nan-example", "unclipped", "wrong-length", "no-diagnostics"].includes(x.attack),
    )) {
      if (row.predicted !== row.label) continue;
      expect(row.status, JSON.stringify(row)).toBe("error");
      expect(row.verified).toBe(false);
      expect(row.reason).toMatch(/finite|box|values|diagnostics/);
    }
    // the mutator's image (all 255) is measured from the real x*
    for (const row of all.filter((x) => x.attack === "mutator" && x.status === "adversarial"))
      expect(row.rho).toBeGreaterThan(0);
    // fgsm and crown, after the mutator, saw the real points
    const net = await loadModel(model);
    const test = loadDataset("mnist", "test");
    for (const row of all.filter((x) => x.attack === "fgsm" || x.attack === "crown"))
      expect(row.predicted).toBe(net.predict64(image(test, row.index)));
    const j = JSON.parse(r.stdout);
    for (const s of j.summary) {
      // an attack whose every answer was broken has no share at all ("—"), never 0 % or a negative one
      if (s.correct === 0) {
        expect(s.frequency.value).toBeNull();
        expect(s.failed).toBeGreaterThan(0);
        continue;
      }
      expect(s.frequency.value).toBeGreaterThanOrEqual(0);
      expect(s.frequency.value).toBeLessThanOrEqual(1);
      expect(s.adversarial).toBeLessThanOrEqual(s.correct);
    }
    const b = j.bracket;
    for (const share of [b.certified, b.nonRobust, b.unknown]) {
      expect(share.value).toBeGreaterThanOrEqual(0);
      expect(share.lower).not.toBeNull();
    }
    expect(b.certified.value + b.nonRobust.value + b.unknown.value).toBeCloseTo(1, 12);
    expect(b.conflicting).toBe(0);
    // run.json names the module each plug-in attack came from, with its hash; rho's own have none
    const spec = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    const nan = spec.attacks.find((a: { name: string }) => a.name === "nan-example");
    expect(nan.plugin.path).toBe(plugin);
    expect(nan.plugin.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(spec.attacks.find((a: { name: string }) => a.name === "fgsm").plugin).toBeUndefined();
  }, 120_000);

  it("an attack that never answers or never yields is stopped at --attack-time-limit; the run goes on", async () => {
    const dir = out();
    const r = await rho(...evalArgs(dir, "hang,busy,fgsm", "--attack-time-limit", "1.5", "--points", "2"));
    expect(r.code, r.stderr).toBe(0);
    const all = rows(dir);
    expect(all).toHaveLength(6);
    for (const row of all.filter((x) => x.attack !== "fgsm" && x.status !== "misclassified")) {
      expect(row.status).toBe("timeout");
      expect(row.reason).toMatch(/--attack-time-limit 1.5 s/);
      expect(row.seconds).toBeLessThan(30);
    }
    expect(all.filter((x) => x.attack === "fgsm").every((x) => x.status !== "error")).toBe(true);
  }, 120_000);

  it("a plug-in calling process.exit() ends only its worker: every row is written, the summary printed", async () => {
    const dir = out();
    const r = await rho(...evalArgs(dir, "exiter,fgsm"));
    expect(r.code, r.stderr).toBe(0);
    const all = rows(dir);
    expect(all).toHaveLength(6);
    for (const row of all.filter((x) => x.attack === "exiter" && x.status !== "misclassified")) {
      expect(row.status).toBe("error");
      expect(row.reason).toMatch(/worker/);
    }
    expect(JSON.parse(r.stdout).summary).toHaveLength(2);
  }, 120_000);

  it("an attack name with /, # and ? still makes a report whose files and links work", async () => {
    const dir = out();
    expect((await rho(...evalArgs(dir, "odd/name#1?,fgsm"))).code).toBe(0);
    const rep = join(dir, "..", "report");
    const r = await rho("--plugin", plugin, "report", dir, "--out", rep, "--examples", "2");
    expect(r.code, r.stderr).toBe(0);
    const images = readdirSync(join(rep, "figure2"));
    const odd = images.filter((f) => f.includes("odd_name_1_-"));
    expect(odd.length).toBeGreaterThan(0);
    for (const f of images) expect(f).toMatch(/^[A-Za-z0-9._-]+\.png$/);
    const html = readFileSync(join(rep, "index.html"), "utf8");
    for (const f of odd) expect(html).toContain(`src="figure2/${f}"`);
  }, 120_000);
});
