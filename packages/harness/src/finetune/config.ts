// finetune.json: what decides a fine-tuning run's models, so that the same command continues it
// and another one is refused. The base model and the training data are identified by their
// contents (sha256), not by where they were read from: a run committed in one clone continues in
// another, with the data in another folder.

/** Fields that say where the inputs were read from: shown to the reader, never compared. */
const LOCATIONS = ["model", "dataDir"] as const;
/** Fields that identify the inputs by content (absent from files written before they existed). */
const CONTENTS = ["modelSha256", "trainSha256"] as const;

export type FinetuneConfig = Readonly<Record<string, unknown>>;

/** The config as its file holds it: JSON drops undefined fields. */
const normalised = (c: FinetuneConfig): Record<string, unknown> =>
  JSON.parse(JSON.stringify(c)) as Record<string, unknown>;

/**
 * The settings on which a stored config and this run's differ, one phrase each (empty: the same
 * run); `defaults` stand for settings either leaves out. A file from before the content hashes is
 * compared by its locations instead, as then.
 */
export function configDifferences(
  stored: FinetuneConfig,
  next: FinetuneConfig,
  defaults: FinetuneConfig = {},
): string[] {
  // a setting a file leaves out had its default (files from before it was recorded)
  const a = { ...normalised(defaults), ...normalised(stored) };
  const b = { ...normalised(defaults), ...normalised(next) };
  const hashed = CONTENTS.every((k) => k in a);
  const skip = new Set<string>(hashed ? LOCATIONS : CONTENTS);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !skip.has(k));
  const out: string[] = [];
  for (const k of keys) {
    const x = canonical(a[k]);
    const y = canonical(b[k]);
    if (x === y) continue;
    if (k === "modelSha256")
      out.push(
        a.model === b.model
          ? `base model files (${b.model} changed)`
          : `base model files (${a.model} vs ${b.model})`,
      );
    else if (k === "trainSha256")
      out.push(`training data (${a.dataset} in ${a.dataDir ?? "rho"} vs ${b.dataDir ?? "rho"})`);
    else out.push(`${k} (${x ?? "unset"} vs ${y ?? "unset"})`);
  }
  return out;
}

/** JSON with every object's keys sorted: options given in another order are the same options. */
function canonical(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  return JSON.stringify(v, (_, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : 1)))
      : x,
  );
}
