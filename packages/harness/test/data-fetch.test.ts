// `rho data fetch` against a server on the loopback address serving small generated archives
// (never the network): a verified copy lands in place, anything else leaves nothing behind.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { CIFAR10_RECORD, type DatasetSource, loadDataset } from "@rho/datasets";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkCopy, fetchDataset } from "../src/data-fetch.js";
import { rho } from "./capture.js";

const FILES = [
  "data_batch_1.bin",
  "data_batch_2.bin",
  "data_batch_3.bin",
  "data_batch_4.bin",
  "data_batch_5.bin",
  "test_batch.bin",
];
const RECORDS = 4;

/** A CIFAR-format folder of RECORDS records a file, packed as the official archive is; its source. */
async function smallArchive(): Promise<{ bytes: Buffer; source: DatasetSource; root: string }> {
  const root = mkdtempSync(join(tmpdir(), "rho-fetch-src-"));
  mkdirSync(join(root, "cifar-10-batches-bin"));
  const files = FILES.map((name, k) => {
    const data = Buffer.alloc(RECORDS * CIFAR10_RECORD);
    for (let r = 0; r < RECORDS; r++) {
      data[r * CIFAR10_RECORD] = (r + k) % 10;
      for (let p = 1; p < CIFAR10_RECORD; p++) data[r * CIFAR10_RECORD + p] = (p * 7 + r * 13 + k) % 256;
    }
    writeFileSync(join(root, "cifar-10-batches-bin", name), data);
    return { name, bytes: data.length, md5: createHash("md5").update(data).digest("hex") };
  });
  writeFileSync(join(root, "cifar-10-batches-bin", "batches.meta.txt"), "airplane\n");
  const file = join(root, "archive.tar.gz");
  await tar.c(
    { gzip: true, file, cwd: root },
    readdirSync(root).filter((f) => f !== "archive.tar.gz"),
  );
  return {
    bytes: readFileSync(file),
    root,
    source: { url: "unused", folder: "cifar-10-batches-bin", files },
  };
}

describe("rho data fetch (a loopback server)", () => {
  let server: Server;
  let base: string;
  const routes = new Map<string, (res: import("node:http").ServerResponse) => void>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      const route = routes.get(req.url ?? "");
      if (route) route(res);
      else {
        res.statusCode = 404;
        res.end("no");
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const serve = (path: string, body: Buffer, cutAt?: number) => {
    routes.set(path, (res) => {
      res.setHeader("content-length", String(body.length));
      if (cutAt === undefined) res.end(body);
      else {
        res.write(body.subarray(0, cutAt));
        setTimeout(() => res.destroy(), 20);
      }
    });
    return `${base}${path}`;
  };
  const fresh = () => join(mkdtempSync(join(tmpdir(), "rho-fetch-")), "cifar");
  const nothingLeft = (dir: string) => {
    const parent = join(dir, "..");
    expect(readdirSync(parent)).toEqual([]); // neither the folder nor a hidden partial one
  };

  it("downloads, checks every file and unpacks; the loader reads it; a second fetch is a no-op", async () => {
    const { bytes, source } = await smallArchive();
    const url = serve("/ok.tar.gz", bytes);
    const dir = fresh();
    const r = await fetchDataset(source, dir, { url });
    expect(r).toMatchObject({ already: false, bytes: bytes.length });
    expect(await checkCopy(source, dir)).toBeUndefined();
    expect(readdirSync(join(dir, "..")).filter((f) => f.startsWith("."))).toEqual([]);
    const test = loadDataset("cifar10", "test", dir);
    expect(test.count).toBe(RECORDS);
    expect(loadDataset("cifar10", "train", dir).count).toBe(5 * RECORDS);
    expect((await fetchDataset(source, dir, { url: `${base}/gone` })).already).toBe(true);
  });

  it("refuses a wrong checksum, a cut download, a missing archive and a broken one, leaving nothing", async () => {
    const { bytes, source } = await smallArchive();
    const wrong = {
      ...source,
      files: source.files.map((f, i) => (i === 2 ? { ...f, md5: "0".repeat(32) } : f)),
    };
    const cases: [string, DatasetSource, string, RegExp][] = [
      [
        "wrong md5",
        wrong,
        serve("/a.tar.gz", bytes),
        /data_batch_3.bin has md5 [0-9a-f]+, not the published 0{32}/,
      ],
      ["cut", source, serve("/cut.tar.gz", bytes, bytes.length >> 1), /was cut/],
      ["404", source, `${base}/missing.tar.gz`, /HTTP 404/],
      [
        "not gzip",
        source,
        serve("/junk.tar.gz", Buffer.from("<html>not an archive</html>")),
        /not a readable .tar.gz/,
      ],
    ];
    for (const [what, src, url, message] of cases) {
      const dir = fresh();
      const err = await fetchDataset(src, dir, { url }).catch((e: unknown) => e);
      expect((err as Error).message, what).toMatch(message);
      expect((err as Error).message).not.toContain("\n");
      nothingLeft(dir);
    }
  });

  it("writes nothing outside the target from an archive with ../ entries", async () => {
    const outside = mkdtempSync(join(tmpdir(), "rho-fetch-outside-"));
    const { root, source } = await smallArchive();
    // the archive as published, then an entry that climbs out (its path kept as written)
    const plain = join(root, "plain.tar");
    await tar.c({ file: plain, cwd: root }, ["cifar-10-batches-bin"]);
    writeFileSync(join(root, "evil"), "x");
    const climb = `${"../".repeat(12)}${outside.slice(1)}/`;
    await tar.r({ file: plain, cwd: root, preservePaths: true, prefix: climb }, ["evil"]);
    const entries: string[] = [];
    await tar.t({ file: plain, onReadEntry: (e) => entries.push(e.path) });
    expect(entries.some((e) => e.startsWith("../") && e.endsWith("/evil"))).toBe(true);
    const dir = fresh();
    await fetchDataset(source, dir, { url: serve("/evil.tar.gz", gzipSync(readFileSync(plain))) });
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual([...FILES].sort());
  });

  it("the CLI: unknown names, shipped datasets and a copy that fails the published checksums are exit 2 in one line", async () => {
    const { bytes } = await smallArchive();
    const dir = fresh();
    const r = await rho("data", "fetch", "cifar10", "--dir", dir, "--url", serve("/cli.tar.gz", bytes));
    expect(r.code).toBe(2);
    expect(
      r.stderr
        .trim()
        .split("\n")
        .filter((l) => !l.startsWith("fetch")),
    ).toHaveLength(1);
    expect(r.stderr).toMatch(
      /does not check out: data_batch_1.bin has \d+ bytes, not 30730000; nothing was kept/,
    );
    nothingLeft(dir);
    expect((await rho("data", "fetch", "nope")).stderr).toMatch(/unknown dataset "nope"/);
    expect((await rho("data", "fetch", "mnist")).stderr).toMatch(/ships with rho/);
    // without --data-dir, the loader says how to get the data
    const acc = await rho("accuracy", "--model", "lenet", "--dataset", "cifar10");
    expect(acc.code).toBe(2);
    expect(acc.stderr).toMatch(/npx rho data fetch cifar10/);
  });
});
