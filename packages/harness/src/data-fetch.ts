// `rho data fetch`: a dataset that does not ship with rho, downloaded once from its publisher,
// unpacked and checked file by file against the publisher's checksums. Everything happens in a
// hidden folder beside the target, which becomes the target only once every file has checked
// out: a cut download, a wrong checksum or a Ctrl-C never leaves a folder a loader would read.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { DatasetSource } from "@rho/datasets";
import * as tar from "tar";
import { UsageError } from "./errors.js";

/** Where fetched data goes unless --dir says otherwise: the user's cache folder. */
export function defaultDataDir(source: DatasetSource): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "rho", source.folder);
}

async function md5(path: string): Promise<string> {
  const h = createHash("md5");
  await pipeline(createReadStream(path), h);
  return h.digest("hex");
}

/** Why `dir` is not a verified copy of the source's files, or undefined when it is. */
export async function checkCopy(source: DatasetSource, dir: string): Promise<string | undefined> {
  for (const f of source.files) {
    const path = join(dir, f.name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st?.isFile()) return `${f.name} is missing`;
    if (st.size !== f.bytes) return `${f.name} has ${st.size} bytes, not ${f.bytes}`;
    const sum = await md5(path);
    if (sum !== f.md5) return `${f.name} has md5 ${sum}, not the published ${f.md5}`;
  }
  return undefined;
}

export interface FetchOptions {
  /** The archive's address (default: the publisher's). */
  readonly url?: string;
  /** Bytes received so far and the announced total (0 when the server does not say). */
  readonly progress?: (received: number, total: number) => void;
}

export interface Fetched {
  readonly dir: string;
  /** The copy was there and checked out already: nothing was downloaded. */
  readonly already: boolean;
  readonly bytes: number;
}

/**
 * Downloads `source`'s archive into `dir` (which must not exist, or hold a verified copy), checks
 * every file's size and md5, and only then moves the files into place. Any failure is a
 * UsageError naming what went wrong, with nothing left behind at `dir`.
 */
export async function fetchDataset(
  source: DatasetSource,
  dir: string,
  opts: FetchOptions = {},
): Promise<Fetched> {
  const target = resolve(dir);
  if (existsSync(target)) {
    const why = await checkCopy(source, target);
    if (why === undefined) return { dir: target, already: true, bytes: 0 };
    throw new UsageError(
      `${dir} exists and is not a verified copy (${why}); remove it, or choose another --dir`,
    );
  }
  const url = opts.url ?? source.url;
  await mkdir(dirname(target), { recursive: true });
  const work = await mkdtemp(join(dirname(target), `.${basename(target)}.part-`));
  try {
    const archive = join(work, "archive.tar.gz");
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new UsageError(`cannot download ${url}: ${cause ?? (e as Error).message}`);
    }
    if (!res.ok || !res.body)
      throw new UsageError(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
    const total = Number(res.headers.get("content-length") ?? 0) || 0;
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        opts.progress?.(received, total);
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(res.body as import("node:stream/web").ReadableStream),
        count,
        createWriteStream(archive),
      );
    } catch (e) {
      throw new UsageError(
        `the download of ${url} was cut after ${received} bytes (${(e as Error).message})`,
      );
    }
    if (total && received !== total)
      throw new UsageError(`the download of ${url} was cut: ${received} of ${total} bytes`);
    const unpacked = join(work, "x");
    await mkdir(unpacked);
    const wanted = new Set(source.files.map((f) => `${source.folder}/${f.name}`));
    try {
      // only the files the loader reads; node-tar refuses absolute paths and ".." on its own
      await tar.x({
        file: archive,
        cwd: unpacked,
        strict: true,
        filter: (p) => wanted.has(p.replace(/^\.\//, "")),
      });
    } catch (e) {
      throw new UsageError(`${url} is not a readable .tar.gz archive (${(e as Error).message})`);
    }
    const why = await checkCopy(source, join(unpacked, source.folder));
    if (why !== undefined)
      throw new UsageError(`the archive from ${url} does not check out: ${why}; nothing was kept`);
    await rename(join(unpacked, source.folder), target);
    return { dir: target, already: false, bytes: received };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
