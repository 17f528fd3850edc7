import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDataset, parseIdx } from "@rho/datasets";
import { argmax, loadModel } from "@rho/models";
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { finetune } from "../src/api/finetune.js";
import { decodeExample, type ResultRow } from "../src/eval/spec.js";
import { configDifferences } from "../src/finetune/config.js";
import { rho } from "./capture.js";
import { linearModel } from "./fixtures.js";

const readRows = (file: string): ResultRow[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ResultRow);
const weights = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".bin"))
    .map((f) => readFileSync(join(dir, f)).toString("base64"))
    .join();

describe("rho finetune", () => {
  let model: string;
  const tmp = () => join(mkdtempSync(join(tmpdir(), "rho-finetune-")), "ft");
  const args = (out: string) => [
    "finetune",
    "--model",
    model,
    "--attack",
    "alp",
    "--rounds",
    "2",
    "--train-points",
    "8",
    "--train-images",
    "200",
    "--workers",
    "1",
    "--backend",
    "cpu",
    "--out",
    out,
  ];
  beforeAll(async () => {
    model = await linearModel();
  });

  it("adds only verified, still-adversarial examples with their original labels, and saves every round's model with a card", async () => {
    const out = tmp();
    const r = await rho(...args(out), "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.rounds).toHaveLength(2);
    const train = loadDataset("mnist", "train");
    let attacked = await loadModel(model);
    for (const round of [1, 2]) {
      const dir = join(out, `round-${round}`);
      const rec = JSON.parse(readFileSync(join(dir, "round.json"), "utf8"));
      const rows = readRows(join(dir, "examples", "results.jsonl"));
      expect(rows).toHaveLength(8);
      // the attack's options for training: the paper's ALP margin α = 3
      const spec = JSON.parse(readFileSync(join(dir, "examples", "run.json"), "utf8"));
      expect(spec.attacks[0].options.margin).toBe(3);
      const verified = rows.filter((x) => x.verified);
      expect(rec.verified).toBe(verified.length);
      expect(rec.added + rec.droppedByRounding).toBe(rec.verified);
      expect(rec.added).toBeGreaterThan(0);
      const images = parseIdx(readFileSync(join(dir, "added-images.idx")), "images", 4);
      const labels = parseIdx(readFileSync(join(dir, "added-labels.idx")), "labels", 1);
      expect(labels.dims[0]).toBe(rec.added);
      for (let k = 0; k < rec.added; k++) {
        const img = images.data.subarray(k * 784, (k + 1) * 784);
        const label = labels.data[k] as number;
        // one of the verified rows, rounded; its point's original label; adversarial for the attacked model
        const source = verified.find((v) =>
          Array.from(decodeExample(v.example as string)).every(
            (p, i) => Math.min(255, Math.max(0, Math.round(p))) === img[i],
          ),
        );
        expect(source).toBeDefined();
        expect(label).toBe(train.labels[source?.index as number]);
        expect(argmax(attacked.forward64(img).logits)).not.toBe(label);
      }
      expect(readFileSync(join(dir, "model", "MODEL_CARD.md"), "utf8")).toMatch(
        new RegExp(
          `round ${round} of 2[\\s\\S]*\\| ${round} \\| ${rec.verified} \\| ${rec.droppedByRounding} \\|`,
        ),
      );
      attacked = await loadModel(join(dir, "model"));
    }
  }, 120_000);

  it("continues a killed run to the same models; refuses other settings in the same directory", async () => {
    const whole = tmp();
    expect((await rho(...args(whole))).code).toBe(0);
    const killed = tmp();
    expect((await rho(...args(killed))).code).toBe(0);
    // killed during round 2's attacks: its record and model gone, half its results lost
    const r2 = join(killed, "round-2");
    rmSync(join(r2, "round.json"));
    rmSync(join(r2, "model"), { recursive: true });
    const results = join(r2, "examples", "results.jsonl");
    const lines = readFileSync(results, "utf8").split("\n").filter(Boolean);
    writeFileSync(results, `${lines.slice(0, 4).join("\n")}\n${(lines[4] as string).slice(0, 10)}`);
    const again = await rho(...args(killed));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming: 4 results kept, 4 to go/);
    const record = (d: string) => {
      const { seconds, ...rest } = JSON.parse(readFileSync(join(d, "round-2", "round.json"), "utf8"));
      return rest;
    };
    expect(record(killed)).toEqual(record(whole));
    expect(weights(join(killed, "round-2", "model"))).toBe(weights(join(whole, "round-2", "model")));
    // nothing left to do: a third run recomputes nothing
    const done = await rho(...args(killed));
    expect(done.stderr).not.toMatch(/round \d\/2: alp on/);
    // the same run through the API with the defaults left unsaid, as rho reproduce calls it
    const api = await finetune({
      model,
      dataset: "mnist",
      attack: "alp",
      rounds: 2,
      trainPoints: 8,
      trainImages: 200,
      workers: 1,
      backend: "cpu",
      out: killed,
    });
    expect(api.rounds.map((h) => h.round)).toEqual([1, 2]);
    // the same model and data elsewhere (another clone): the run continues, identified by contents
    const moved = join(mkdtempSync(join(tmpdir(), "rho-finetune-moved-")), "model");
    cpSync(model, moved, { recursive: true });
    const elsewhere = await rho(...args(killed).map((a) => (a === model ? moved : a)));
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(elsewhere.stderr).not.toMatch(/round \d\/2: alp on/);
    // a settings file from before the content hashes: compared by its paths, then given the hashes
    const file = join(killed, "finetune.json");
    const { modelSha256, trainSha256, ...before } = JSON.parse(readFileSync(file, "utf8"));
    writeFileSync(file, JSON.stringify({ ...before, model }));
    expect((await rho(...args(killed))).code).toBe(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ modelSha256, trainSha256 });
    const other = await rho(...args(killed).map((a) => (a === "8" ? "6" : a)));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a fine-tuning run with other settings: trainPoints \(8 vs 6\)/);
    // another base model under the same path is another run
    const weightsFile = join(moved, readdirSync(moved).find((f) => f.endsWith(".bin")) as string);
    const bytes = readFileSync(weightsFile);
    bytes[0] = (bytes[0] as number) ^ 1;
    writeFileSync(weightsFile, bytes);
    const changed = await rho(...args(killed).map((a) => (a === model ? moved : a)));
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/other settings: base model files/);
    expect(existsSync(join(killed, "round-3"))).toBe(false);
  }, 180_000);
});

describe("finetune.json", () => {
  const stored = {
    attack: "alp",
    attackOptions: { margin: 3, descent: false },
    trainPoints: 8,
    modelSha256: "a",
    trainSha256: "b",
    model: "/x",
    dataDir: "/d",
  };
  it("is the same run with options in another order, the inputs elsewhere, a default left unsaid", () => {
    const next = {
      ...stored,
      attackOptions: { descent: false, margin: 3 },
      model: "/y",
      dataDir: "/e",
      eps: 20,
    };
    expect(configDifferences(stored, next, { eps: 20 })).toEqual([]);
  });
  it("names each setting that differs, by content", () => {
    const next = { ...stored, attackOptions: { descent: true, margin: 3 }, modelSha256: "c", eps: 8 };
    expect(configDifferences(stored, next, { eps: 20 })).toEqual([
      "eps (20 vs 8)",
      'attackOptions ({"descent":false,"margin":3} vs {"descent":true,"margin":3})',
      "base model files (/x changed)",
    ]);
  });
  it("compares a file from before the hashes by its paths", () => {
    const { modelSha256, trainSha256, ...old } = stored;
    expect(configDifferences(old, { ...stored, model: "/y" })).toEqual(['model ("/x" vs "/y")']);
    expect(configDifferences(old, stored)).toEqual([]);
  });
});

describe("rho reproduce", () => {
  it("produces every Table 1 cell and Figure 3 curve for the original and fine-tuned models", async () => {
    const model = await linearModel();
    const out = join(mkdtempSync(join(tmpdir(), "rho-reproduce-")), "repro");
    const r = await rho(
      "reproduce",
      "--model",
      model,
      "--train-points",
      "6",
      "--train-images",
      "200",
      "--test-points",
      "6",
      "--attacks",
      "lbfgs,alp",
      "--opt",
      "descent=false",
      "alp-pgd.bisections=3",
      "--workers",
      "1",
      "--backend",
      "cpu",
      "--out",
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Expected duration ≈/);
    // --opt reaches every run whose attacks take the option, and only those
    const optionsIn = (runJson: string) =>
      Object.fromEntries(
        (
          JSON.parse(readFileSync(runJson, "utf8")).attacks as {
            name: string;
            options: Record<string, unknown>;
          }[]
        ).map((a) => [a.name, a.options]),
      );
    const measured = optionsIn(join(out, "eval", "original", "run.json"));
    expect(measured.alp?.descent).toBe(false);
    expect(measured.lbfgs).not.toHaveProperty("descent");
    const pgdRound = optionsIn(join(out, "finetune-alp-pgd", "round-1", "examples", "run.json"));
    expect(pgdRound["alp-pgd"]).toMatchObject({ descent: false, bisections: 3, margin: 3 });
    expect(
      optionsIn(join(out, "finetune-alp-walk", "round-1", "examples", "run.json"))["alp-walk"]?.descent,
    ).toBe(false);
    const names = ["original", "lbfgs", "alp", "alp-walk", "alp-pgd"].flatMap((a) =>
      a === "original" ? [a] : [`${a} T=1`, `${a} T=2`],
    );
    const csv = parse(readFileSync(join(out, "report", "table1.csv"), "utf8"), { columns: true }) as Record<
      string,
      string
    >[];
    expect(csv.map((c) => `${c.model}/${c.attack}`)).toEqual(
      names.flatMap((n) => [`${n}/lbfgs`, `${n}/alp`]),
    );
    for (const c of csv) {
      expect(Number(c.points)).toBe(6);
      expect(c.frequency).not.toBe("");
    }
    const spec = JSON.parse(readFileSync(join(out, "report", "figure3.vl.json"), "utf8"));
    const curves = new Set(
      spec.data.values.map((p: { model: string; attack: string }) => `${p.model}/${p.attack}`),
    );
    expect(curves.size).toBe(2 * names.length);
    expect(existsSync(join(out, "report", "figure3.png"))).toBe(true);
    const ft = readFileSync(join(out, "finetuning.md"), "utf8");
    for (const n of names) expect(ft).toMatch(new RegExp(`\\| ${n} \\|.*\\d+\\.\\d\\d%`));
    expect(r.stdout).toMatch(/\| alp T=2 \| 6 \|/);
    const bad = await rho("reproduce", "--quick", "--attacks", "lbfgs,nope", "--out", `${out}-bad`);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown attack "nope"/);
    expect(existsSync(`${out}-bad`)).toBe(false);
    // an option no attack of the experiment takes, or one aimed at an attack without it, fails before any work
    for (const [opt, message] of [
      ["nope=1", /no attack of this run has option "nope"/],
      ["lbfgs.descent=false", /lbfgs has no option "descent"/],
      ["descent=maybe", /descent/],
    ] as const) {
      const wrong = await rho("reproduce", "--quick", "--opt", opt, "--out", `${out}-opt`);
      expect(wrong.code, opt).toBe(2);
      expect(wrong.stderr).toMatch(message);
      expect(existsSync(`${out}-opt`)).toBe(false);
    }
  }, 300_000);
});
