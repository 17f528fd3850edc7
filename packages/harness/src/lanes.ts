// Tasks on a pool of worker threads, one lane per worker, so that a task's clock starts when a
// worker takes it, not while it waits in the queue. `rho eval`'s attacks and `rho verify`'s
// instances both run this way: a task that hangs past its limit is stopped by ending its thread.
import { Piscina } from "piscina";

/**
 * Runs `each(pool, task)` for every task in `workers` lanes over a piscina pool of `worker` (a
 * compiled module's URL); stops taking tasks once `signal` is aborted. The pool is destroyed at
 * the end, whatever happened.
 */
export async function inLanes<T>(
  worker: URL,
  workers: number,
  todo: readonly T[],
  each: (pool: Piscina, task: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  if (todo.length === 0) return;
  const pool = new Piscina({ filename: worker.href, minThreads: workers, maxThreads: workers });
  try {
    let next = 0;
    const lane = async () => {
      while (next < todo.length && !signal?.aborted) await each(pool, todo[next++] as T);
    };
    await Promise.all(Array.from({ length: Math.min(workers, todo.length) }, lane));
  } finally {
    await pool.destroy();
  }
}
