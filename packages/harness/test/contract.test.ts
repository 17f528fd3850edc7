// The results contract: one writer per --out, a run's identity covers everything that changes its
// answers, failures are rows with reasons, and no failure leaves a process running.
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { acquireLock, LOCK_FILE } from "../src/lock.js";
import { rho } from "./capture.js";
import { linearModel } from "./fixtures.js";

const BIN = fileURLToPath(new URL("../bin/rho.js", import.meta.url));
const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), "rho-contract-")), name);
const lines = (dir: string) => readFileSync(join(dir, "results.jsonl"), "utf8").split("\n").filter(Boolean);

/** The CLI as a separate process (the compiled bin): exit code and output. */
function rhoProcess(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => {
      stdout += d;
    });
    p.stderr.on("data", (d) => {
      stderr += d;
    });
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A pid no process has now: a child that has exited. */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ["-e", ""]);
  await new Promise((r) => p.on("close", r));
  return p.pid as number;
}

describe("the results contract", () => {
  let model: string;
  const evalArgs = (out: string, ...extra: string[]) => [
    "eval",
    "--model",
    model,
    "--attacks",
    "alp,fgsm",
    "--points",
    "4",
    "--backend",
    "cpu",
    "--workers",
    "1",
    "--out",
    out,
    ...extra,
  ];
  beforeAll(async () => {
    model = await linearModel();
  });

  it("refuses a second writer while the first is alive, and takes over a dead writer's lock", async () => {
    const out = tmp("locked");
    mkdirSync(out, { recursive: true });
    const release = acquireLock(out, out); // a live writer: this very process
    const second = await rho(...evalArgs(out));
    expect(second.code).toBe(2);
    expect(second.stderr.trim().split("\n")).toHaveLength(1);
    expect(second.stderr).toMatch(/is being written by another rho \(pid \d+/);
    release();
    // a writer that died without releasing: its lock is taken over
    writeFileSync(
      join(out, LOCK_FILE),
      JSON.stringify({ pid: await deadPid(), host: hostname(), since: "2026-01-01T00:00:00Z" }),
    );
    const after = await rho(...evalArgs(out));
    expect(after.code).toBe(0);
    expect(lines(out)).toHaveLength(8);
    expect(readdirSync(out)).not.toContain(LOCK_FILE); // released at the end
  });

  it("takes over a lock whose pid is alive as another process, or from before a reboot", async () => {
    for (const [what, holder] of [
      // a container restarted: the pid (here this test's own) is alive again, started at another time
      ["pid reused", { pid: process.pid, host: hostname(), since: "2026-01-01T00:00:00Z", started: "1" }],
      [
        "machine rebooted",
        { pid: process.pid, host: hostname(), since: "2026-01-01T00:00:00Z", boot: "an-old-boot" },
      ],
    ] as const) {
      const out = tmp("stale");
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, LOCK_FILE), JSON.stringify(holder));
      const r = await rho(...evalArgs(out, "--points", "1"));
      expect(r.code, `${what}: ${r.stderr}`).toBe(0);
      expect(readdirSync(out)).not.toContain(LOCK_FILE);
    }
  });

  it.each(["SIGINT", "SIGTERM"] as const)(
    "a run stopped by %s leaves no lock behind",
    async (signal) => {
      const out = tmp(`signal-${signal}`);
      const plugin = fileURLToPath(new URL("./fixtures/hostile-attacks.mjs", import.meta.url));
      const p = spawn(process.execPath, [BIN, "--plugin", plugin, ...evalArgs(out, "--attacks", "hang")], {
        stdio: "ignore",
      });
      const closed = new Promise<number | null>((r) => p.on("close", (code) => r(code)));
      // wait for the lock (the run has started and hangs in its attack), then stop it
      const locked = () => existsSync(join(out, LOCK_FILE));
      for (let i = 0; i < 400 && !locked(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(locked()).toBe(true);
      p.kill(signal);
      await closed;
      expect(locked()).toBe(false);
    },
    60_000,
  );

  it("two processes on one --out never write a row twice", async () => {
    const out = tmp("two");
    const args = [...evalArgs(out, "--resume", "--points", "6")];
    const [a, b] = await Promise.all([rhoProcess(args), rhoProcess(args)]);
    for (const r of [a, b]) {
      if (r.code !== 0) {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/is being (written|locked) by another rho/);
      }
    }
    expect([a.code, b.code]).toContain(0);
    const keys = lines(out).map((l) => {
      const r = JSON.parse(l);
      return `${r.attack}#${r.index}`;
    });
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(12);
  }, 120_000);

  it("a model whose rho.json changed is another model: resume refuses it", async () => {
    const copy = tmp("model");
    mkdirSync(copy);
    for (const f of readdirSync(model)) copyFileSync(join(model, f), join(copy, f));
    const out = tmp("run");
    expect((await rho(...evalArgs(out).map((x) => (x === model ? copy : x)))).code).toBe(0);
    const meta = JSON.parse(readFileSync(join(copy, "rho.json"), "utf8"));
    meta.preprocess.scale = meta.preprocess.scale.map((s: number) => s * 2);
    writeFileSync(join(copy, "rho.json"), JSON.stringify(meta));
    const r = await rho(...evalArgs(out, "--resume").map((x) => (x === model ? copy : x)));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds a different run \(model files/);
  });

  it("resume refuses fewer --points, another --sample, --target or option; merge refuses shards of other --points", async () => {
    const out = tmp("ident");
    expect((await rho(...evalArgs(out))).code).toBe(0);
    const cases: [string[], RegExp][] = [
      [["--points", "3"], /--points \(4 vs 3\)/],
      [["--sample", "2"], /--sample \(null vs 2\)/],
      [["--target", "3"], /--target \(second vs 3\)/],
      [["--opt", "alp.margin=0.01"], /alp's options/],
      [["--opt", "fgsm.eps=10"], /fgsm's options/],
    ];
    for (const [extra, message] of cases) {
      const r = await rho(...evalArgs(out, "--resume"), ...extra);
      expect(r.code, extra.join(" ")).toBe(2);
      expect(r.stderr, extra.join(" ")).toMatch(message);
    }
    const a = tmp("s0");
    const b = tmp("s1");
    await rho(...evalArgs(a, "--shard", "0/2", "--points", "4"));
    await rho(...evalArgs(b, "--shard", "1/2", "--points", "6"));
    const m = await rho("merge", a, b, "--out", tmp("merged"));
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/shard of a different run \(--points \(4 vs 6\)/);
  });

  it("a target that is a point's own label is an error row with its reason; the run finishes", async () => {
    const out = tmp("target");
    const r = await rho(...evalArgs(out, "--attacks", "alp", "--target", "7", "--json"));
    expect(r.code).toBe(0);
    const rows = lines(out).map((l) => JSON.parse(l));
    const own = rows.filter((x) => x.label === 7);
    expect(own.length).toBeGreaterThan(0);
    for (const x of own) {
      expect(x.status).toBe("error");
      expect(x.reason).toMatch(/target 7 is the point's own label/);
    }
    expect(JSON.parse(r.stdout).summary[0].failed).toBe(own.length);
    // a label the model does not have is the user's input: refused before any work
    const bad = await rho(...evalArgs(tmp("t11"), "--target", "11"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--target 11: the model has labels 0..9/);
  });

  it("an error inside a worker thread is a row, and the process exits", async () => {
    const out = tmp("workers");
    const r = await rhoProcess([
      ...evalArgs(out, "--attacks", "lbfgs", "--target", "7", "--workers", "2", "--points", "3"),
    ]);
    expect(r.code).toBe(0);
    expect(lines(out)).toHaveLength(3);
    expect(r.stderr).not.toMatch(/internal error/);
  }, 120_000);
});
