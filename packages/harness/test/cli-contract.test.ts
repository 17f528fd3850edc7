// The CLI contract, command by command: bad input is exactly one line on stderr and exit 2 —
// never a stack trace, never "internal error" (exit 3 never answers user input).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { rho } from "./capture.js";
import { linearModel } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "rho-cli-"));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
  return p;
};
/** A model directory whose model.json holds `text`. */
const modelWith = (name: string, text: string) => {
  file(`${name}/model.json`, text);
  return join(dir, name);
};
/** A results directory whose run.json and results.jsonl hold these texts. */
const runWith = (name: string, run: string, results = "") => {
  file(`${name}/run.json`, run);
  file(`${name}/results.jsonl`, results);
  return join(dir, name);
};

describe("bad input: one line on stderr, exit 2", () => {
  let model: string;
  let goodRun: string;
  beforeAll(async () => {
    model = await linearModel();
    goodRun = join(dir, "good");
    const r = await rho(
      "eval",
      "--model",
      model,
      "--attacks",
      "fgsm",
      "--points",
      "2",
      "--workers",
      "1",
      "--backend",
      "cpu",
      "--out",
      goodRun,
    );
    expect(r.code).toBe(0);
  }, 60_000);

  const cases = (): [string, string[], RegExp][] => {
    const attack = ["attack", "--model", model, "--backend", "cpu"];
    const evalBase = ["eval", "--model", model, "--backend", "cpu", "--out", join(dir, "e")];
    return [
      ["unknown command", ["nope"], /unknown command 'nope'/],
      ["unknown flag", ["solvers", "--nope"], /unknown option '--nope'/],
      ["attacks: unknown flag", ["attacks", "--verbose"], /unknown option/],
      ["demo: 0x10 points", ["demo", "--points", "0x10"], /expected a non-negative integer, got "0x10"/],
      ["demo: unknown solver", ["demo", "--solvers", "cplex"], /unknown solver "cplex"/],
      ["train: 1.5 epochs", ["train", "--epochs", "1.5", "--out", join(dir, "t")], /got "1.5"/],
      [
        "train --resume: train-state.json is null",
        ["train", "--resume", "--epochs", "1", "--out", join(file("ckpt/train-state.json", "null"), "..")],
        /train-state.json is not a rho train checkpoint state \(Expected object, received null\)/,
      ],
      [
        "train --resume: train-state.json is not JSON",
        ["train", "--resume", "--epochs", "1", "--out", join(file("ckpt2/train-state.json", "{"), "..")],
        /train-state.json is not valid JSON/,
      ],
      ["train: unknown arch", ["train", "--arch", "vgg", "--out", join(dir, "t")], /Allowed choices are/],
      ["accuracy: missing model", ["accuracy", "--model", join(dir, "none")], /no model directory/],
      ["attack: empty index", [...attack, "--index", ""], /expected a non-negative integer, got ""/],
      ["attack: 1e3 index", [...attack, "--index", "1e3"], /got "1e3"/],
      ["attack: 0x10 index", [...attack, "--index", "0x10"], /got "0x10"/],
      ["attack: negative index", [...attack, "--index", "-1"], /got "-1"|unknown option/],
      ["attack: 1.5 target", [...attack, "--index", "0", "--target", "1.5"], /--target must be second, all/],
      ["attack: target 11", [...attack, "--index", "0", "--target", "11"], /the model has labels 0..9/],
      ["attack: bad eps", [...attack, "--index", "0", "--attack", "fgsm", "--eps", "0x10"], /got "0x10"/],
      [
        "attack: option of another attack",
        [...attack, "--index", "0", "--attack", "fgsm", "--margin", "0.1"],
        /no attack of this run has option "margin"/,
      ],
      ["attack: --opt without =", [...attack, "--index", "0", "--opt", "x"], /--opt expects key=value/],
      [
        "attack: model.json is null",
        ["attack", "--model", modelWith("null-model", "null"), "--index", "0"],
        /null-model\/model.json: the model file must hold a JSON object, not null/,
      ],
      [
        "attack: model.json is a number",
        ["attack", "--model", modelWith("num-model", "42"), "--index", "0"],
        /the model file must hold a JSON object, not a number/,
      ],
      [
        "attack: model.json is not JSON",
        ["attack", "--model", modelWith("bad-model", "{"), "--index", "0"],
        /invalid JSON/,
      ],
      [
        "attack: weightsManifest of the wrong shape",
        [
          "attack",
          "--model",
          modelWith("manifest", JSON.stringify({ modelTopology: {}, weightsManifest: [null] })),
          "--index",
          "0",
        ],
        /every weightsManifest entry needs "paths"/,
      ],
      ["eval: 1e3 points", [...evalBase, "--points", "1e3"], /got "1e3"/],
      ["eval: 0 workers", [...evalBase, "--workers", "0"], /--workers must be at least 1/],
      ["eval: unknown attack", [...evalBase, "--attacks", "alp,nope"], /unknown attack "nope"/],
      ["eval: attack named twice", [...evalBase, "--attacks", "fgsm,fgsm"], /named twice/],
      [
        "eval: unknown option",
        [...evalBase, "--opt", "nosuchkey=3"],
        /no attack of this run has option "nosuchkey"/,
      ],
      [
        "eval: option of another attack",
        [...evalBase, "--attacks", "fgsm", "--opt", "alp.margin=1"],
        /alp is not an attack of this run/,
      ],
      [
        "eval: bad option value",
        [...evalBase, "--attacks", "lbfgs", "--opt", "cSteps=abc"],
        /cSteps must be integer ≥ 1, got "abc"/,
      ],
      ["eval: bad shard", [...evalBase, "--shard", "1/x"], /--shard must be i\/n/],
      // one strict parser for every number: blanks are refused by flags and --opt alike
      ["eval: --eps with a leading blank", [...evalBase, "--eps", " 5"], /got " 5"/],
      ["eval: --eps with a trailing blank", [...evalBase, "--eps", "5 "], /got "5 "/],
      ["eval: --opt with a blank", [...evalBase, "--attacks", "fgsm", "--opt", "eps= 5"], /got " 5"/],
      ["eval: --attack-time-limit 0", [...evalBase, "--attack-time-limit", "0"], /got "0"/],
      [
        "bound: --eps-max with a blank",
        ["bound", "--model", model, "--index", "0", "--eps-max", "5 "],
        /got "5 "/,
      ],
      [
        "bound: --time-limit with a blank",
        ["bound", "--model", model, "--index", "0", "--time-limit", " 5"],
        /got " 5"/,
      ],
      [
        "attack: --margin with a blank",
        ["attack", "--model", model, "--index", "0", "--margin", " 1"],
        /got " 1"/,
      ],
      [
        "finetune: unknown attack",
        ["finetune", "--model", model, "--attack", "nope", "--out", join(dir, "f")],
        /unknown attack "nope"/,
      ],
      [
        "finetune: 0x2 rounds",
        ["finetune", "--model", model, "--attack", "fgsm", "--rounds", "0x2", "--out", join(dir, "f")],
        /got "0x2"/,
      ],
      [
        "finetune: bad option, refused before anything is written",
        ["finetune", "--model", model, "--attack", "lbfgs", "--opt", "cSteps=abc", "--out", join(dir, "f2")],
        /lbfgs: option cSteps must be integer ≥ 1, got "abc"/,
      ],
      ["reproduce: 1.5 rounds", ["reproduce", "--rounds", "1.5", "--out", join(dir, "r")], /got "1.5"/],
      [
        "compare: xyz threshold",
        ["compare", goodRun, goodRun, "--max-frequency-increase", "xyz"],
        /expected a number, got "xyz"/,
      ],
      ["compare: no run", ["compare", goodRun, join(dir, "none")], /holds no rho eval run/],
      [
        "compare: run.json is null",
        ["compare", goodRun, runWith("null-run", "null")],
        /null-run\/run.json is not a rho .* run description/,
      ],
      [
        "compare: run.json is a number",
        ["compare", goodRun, runWith("num-run", "7")],
        /run.json is not a rho/,
      ],
      [
        "report: results.jsonl line of the wrong shape",
        ["report", runWith("bad-rows", JSON.stringify({}), ""), "--out", join(dir, "rep")],
        /bad-rows\/run.json is not a rho/,
      ],
      [
        "merge: nothing to merge",
        ["merge", "--out", join(dir, "m")],
        /missing required argument|name the shard/,
      ],
      ["merge: not a shard", ["merge", goodRun, "--out", join(dir, "m")], /is not a shard/],
      ["lp solve: no file", ["lp", "solve", join(dir, "none.lp")], /none.lp/],
      ["lp solve: not an LP", ["lp", "solve", file("bad.lp", "Minimize\n obj: x +\nEnd\n")], /bad.lp/],
      [
        "lp solve: bad time limit",
        ["lp", "solve", file("ok.lp", "Minimize\n obj: x\nEnd\n"), "--time-limit", "abc"],
        /got "abc"/,
      ],
      ["--plugin: missing module", ["--plugin", join(dir, "none.mjs"), "attacks"], /--plugin/],
      [
        "--plugin: a built-in's name",
        ["--plugin", fileURLToPath(new URL("./fixtures/shadow-pgd.mjs", import.meta.url)), "attacks"],
        /--plugin .*shadow-pgd.mjs: registerAttack: an attack named "pgd" is already registered/,
      ],
    ];
  };

  it("every command refuses bad input with exactly one line and exit 2", async () => {
    for (const [what, args, message] of cases()) {
      const r = await rho(...args);
      expect(r.code, what).toBe(2);
      const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
      expect(lines, `${what}: ${r.stderr}`).toHaveLength(1);
      expect(r.stderr, what).toMatch(message);
      expect(r.stderr, what).not.toMatch(/internal error|\n\s+at /);
    }
  }, 120_000);

  it("a refused finetune leaves nothing behind", async () => {
    await rho(
      "finetune",
      "--model",
      model,
      "--attack",
      "lbfgs",
      "--opt",
      "cSteps=abc",
      "--out",
      join(dir, "f3"),
    );
    expect(existsSync(join(dir, "f3"))).toBe(false);
  });

  it("results files of the wrong shape are named with their line", async () => {
    const good = readText(join(goodRun, "run.json"));
    const rowsBad = runWith("rows-bad", good, '{"attack":"fgsm"}\n');
    const r = await rho("compare", goodRun, rowsBad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rows-bad\/results.jsonl line 1 is not a results row \(index: Required\)/);
    const garbage = runWith("rows-garbage", good, "not json\n{}\n");
    const g = await rho("report", garbage, "--out", join(dir, "rep2"));
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/results.jsonl line 1 is not JSON/);
  });
});

const readText = (p: string) => readFileSync(p, "utf8");
