// One writer per results directory. The lock file names its writer by host, boot, pid and the
// process's start time: a second writer is refused while that very process is alive; a lock whose
// process is gone is taken over — also when its pid is alive again as another process (after a
// container restart pid 1 always is) or the machine has booted since. On another host liveness
// cannot be checked, so the lock is refused with the way to clear it. Released on every orderly
// exit, Ctrl-C and SIGTERM included.
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { UsageError } from "./errors.js";

export const LOCK_FILE = ".rho-lock";

export interface Holder {
  pid: number;
  host: string;
  since: string;
  /** Linux: /proc/sys/kernel/random/boot_id of the writer's machine. */
  boot?: string;
  /** Linux: the writer process's start time (clock ticks since boot, /proc/PID/stat field 22). */
  started?: string;
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
};

export const bootId = (): string | undefined => readText("/proc/sys/kernel/random/boot_id");

/** A process's start time as /proc shows it (undefined where there is no /proc, or no such pid). */
export function processStart(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // the command name (field 2) may hold spaces and parentheses: count fields after its last ")"
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest[19]; // field 22 of the whole line
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
};

/** The holder's process still runs: same boot, a live pid, and (where /proc tells) the same start time. */
function holderRuns(h: Holder): boolean {
  const boot = bootId();
  if (h.boot && boot && h.boot !== boot) return false; // the machine has booted since
  if (!alive(h.pid)) return false;
  const started = processStart(h.pid);
  return !(h.started && started && h.started !== started); // else: the pid is another process now
}

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, "utf8")) as Holder;
    return Number.isInteger(h.pid) && typeof h.host === "string" ? h : undefined;
  } catch {
    return undefined; // vanished, or a writer died between creating and filling it
  }
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Takes the lock on `dir` (which must exist) for this process; returns its release. Refused
 * (UsageError) while another live process holds it.
 */
export function acquireLock(dir: string, label: string): () => void {
  const file = join(dir, LOCK_FILE);
  const boot = bootId();
  const started = processStart(process.pid);
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    ...(boot ? { boot } : {}),
    ...(started ? { started } : {}),
  };
  const mine = (h: Holder | undefined) => h?.pid === me.pid && h.host === me.host && h.started === me.started;
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
        for (const s of SIGNALS) process.removeListener(s, onSignal);
        if (mine(readHolder(file))) rmSync(file, { force: true });
      };
      // a signal ends the process without "exit" handlers: release, then die of the same signal
      const onSignal = (signal: NodeJS.Signals) => {
        release();
        process.kill(process.pid, signal);
      };
      process.on("exit", release);
      for (const s of SIGNALS) process.once(s, onSignal);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST")
        throw new UsageError(`cannot lock ${label}: ${(e as Error).message}`);
    }
    const h = readHolder(file);
    if (h && h.host !== me.host)
      throw new UsageError(
        `${label} is being written by pid ${h.pid} on ${h.host} (since ${h.since}); if that run is gone, remove ${file} to take it over`,
      );
    if (h && (mine(h) || holderRuns(h)))
      throw new UsageError(
        `${label} is being written by another rho (pid ${h.pid}, since ${h.since}); wait for it, or choose another --out`,
      );
    if (!h && Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 5000)
      throw new UsageError(
        `${label} is being locked by another rho at this moment; wait for it, or choose another --out`,
      );
    // the holder is gone (or left an empty lock long ago): take it over
    rmSync(file, { force: true });
  }
  throw new UsageError(`cannot lock ${label}: other writers keep taking it`);
}
