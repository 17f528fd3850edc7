// One writer per results directory. The lock file holds the writer's pid and host; a second
// writer is refused while that process is alive, and a dead writer's lock is taken over. On
// another host liveness cannot be checked, so the lock is refused with the way to clear it.
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { UsageError } from "./errors.js";

export const LOCK_FILE = ".rho-lock";

interface Holder {
  pid: number;
  host: string;
  since: string;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
};

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, "utf8")) as Holder;
    return Number.isInteger(h.pid) && typeof h.host === "string" ? h : undefined;
  } catch {
    return undefined; // vanished, or a writer died between creating and filling it
  }
}

/**
 * Takes the lock on `dir` (which must exist) for this process; returns its release. Refused
 * (UsageError) while another live process holds it.
 */
export function acquireLock(dir: string, label: string): () => void {
  const file = join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx"); // atomic: exactly one creator wins
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.removeListener("exit", release);
        const h = readHolder(file);
        if (h && h.pid === me.pid && h.host === me.host) rmSync(file, { force: true });
      };
      process.on("exit", release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST")
        throw new UsageError(`cannot lock ${label}: ${(e as Error).message}`);
    }
    const h = readHolder(file);
    if (h && h.host !== me.host)
      throw new UsageError(
        `${label} is being written by pid ${h.pid} on ${h.host} (since ${h.since}); if that run is gone, remove ${file}`,
      );
    if (h && (h.pid === me.pid || alive(h.pid)))
      throw new UsageError(
        `${label} is being written by another rho (pid ${h.pid}, since ${h.since}); wait for it, or choose another --out`,
      );
    if (!h && Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 5000)
      throw new UsageError(
        `${label} is being locked by another rho at this moment; wait for it, or choose another --out`,
      );
    // the holder died (or left an empty lock long ago): take it over
    rmSync(file, { force: true });
  }
  throw new UsageError(`cannot lock ${label}: other writers keep taking it`);
}
