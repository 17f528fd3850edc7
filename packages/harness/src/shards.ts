import { UsageError } from "./errors.js";
import { parseShard } from "./eval/spec.js";

/**
 * The shards of one run (`--shard i/n`), each named by its file or directory: refused unless every
 * one is a shard, all of the same n, none twice and none missing. Returns n and each one's i.
 */
export function checkShardSet(shards: readonly { name: string; shard: string | null }[]): {
  n: number;
  index: number[];
} {
  const first = shards[0];
  if (!first) throw new UsageError("name the shards to merge");
  const n = first.shard === null ? Number.NaN : parseShard(first.shard)[1];
  const seen = new Map<number, string>();
  const index = shards.map(({ name, shard }) => {
    if (shard === null) throw new UsageError(`${name} is not a shard (run without --shard)`);
    const [i, m] = parseShard(shard);
    if (m !== n) throw new UsageError(`${name} is shard ${shard}, ${first.name} is one of ${n}`);
    if (seen.has(i)) throw new UsageError(`shard ${i}/${n} given twice: ${seen.get(i)} and ${name}`);
    seen.set(i, name);
    return i;
  });
  const absent = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i));
  if (absent.length) throw new UsageError(`shards missing: ${absent.map((i) => `${i}/${n}`).join(", ")}`);
  return { n, index };
}
