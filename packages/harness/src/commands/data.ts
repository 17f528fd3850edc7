import { datasetEntries, datasetEntry } from "@rho/datasets";
import { defaultDataDir, fetchDataset } from "../data-fetch.js";
import { EXIT_OK, UsageError } from "../errors.js";
import type { Output } from "../output.js";
import { progressBar } from "../progress.js";

export interface DataFetchOptions {
  name: string;
  dir?: string;
  url?: string;
  json: boolean;
}

/** `rho data fetch NAME`: download, check and unpack a dataset that does not ship with rho. */
export async function dataFetchCommand(o: DataFetchOptions, out: Output): Promise<number> {
  const entry = datasetEntry(o.name);
  if (!entry)
    throw new UsageError(
      `unknown dataset "${o.name}"; known: ${datasetEntries()
        .map((e) => e.name)
        .join(", ")}`,
    );
  const source = entry.source;
  if (!source) {
    const why = entry.embedded ? "it ships with rho" : "rho knows no official archive for it";
    throw new UsageError(`${o.name} is not fetched: ${why}`);
  }
  const dir = o.dir ?? defaultDataDir(source);
  const bar = progressBar(`fetch ${o.name}`);
  let started = false;
  try {
    const r = await fetchDataset(source, dir, {
      ...(o.url ? { url: o.url } : {}),
      progress: (received, total) => {
        const mb = (b: number) => Math.round(b / 1e6);
        if (!started) {
          bar.start(total ? mb(total) : 0, 0, { status: "MB" });
          started = true;
        }
        bar.update(mb(received), { status: "MB" });
      },
    });
    bar.stop();
    if (o.json)
      out.json({ dataset: o.name, dir: r.dir, already: r.already, bytes: r.bytes, files: source.files });
    else
      out.line(
        `${o.name}: ${r.already ? "already here" : `downloaded ${(r.bytes / 1e6).toFixed(1)} MB`}, ${source.files.length} files checked (size and md5) in ${r.dir}; use --data-dir ${r.dir}`,
      );
    return EXIT_OK;
  } finally {
    bar.stop();
  }
}
