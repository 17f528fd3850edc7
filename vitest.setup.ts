// FC_SEED=N makes every fast-check property draw the same cases (CI sets it, so a landing is
// reproducible); without it each run explores new cases, and a failure prints its seed.
import fc from "fast-check";

const seed = process.env.FC_SEED;
if (seed !== undefined && seed !== "") fc.configureGlobal({ seed: Number(seed) });
