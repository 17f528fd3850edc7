// fast-check draws the same cases on every run unless asked not to, so `npm test` passes or fails
// the same way for everyone (a newcomer's first run included). `npm run test:explore` sets
// FC_SEED=explore: every property draws new cases, and a failure prints its seed and path, which
// FC_SEED=<seed> replays.
import fc from "fast-check";

/** The seed of the README's test command (and CI's). */
export const DEFAULT_FC_SEED = 20261125;

const given = process.env.FC_SEED;
if (given !== "explore") {
  const seed = given === undefined || given === "" ? DEFAULT_FC_SEED : Number(given);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer or "explore", got "${given}"`);
  fc.configureGlobal({ seed });
}
