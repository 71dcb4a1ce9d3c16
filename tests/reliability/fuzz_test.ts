/**
 * Property-based fuzzing of the config loader, the data loaders, the validator and the request
 * parser (issue #9). Set `FUZZ_SEED` to replay a failure (the seed is printed) and `FUZZ_RUNS` to
 * change the cases per property; `deno task bench:reliability` runs 5,000 per property.
 */
import { assertFuzzPassed, runFuzz } from "../_helpers/fuzz.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? Date.now() % 2_147_483_647);
const RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? 200);
console.log(`fuzz seed ${SEED}, ${RUNS} cases per property (replay with FUZZ_SEED=${SEED})`);

Deno.test("the config loader answers malformed YAML, overrides, environment and objects with a config or a ConfigError", async () => {
  assertFuzzPassed(
    await runFuzz({
      numRuns: RUNS,
      seed: SEED,
      only: [
        "config: YAML text",
        "config: --set overrides and environment",
        "config: objects (parseConfig)",
      ],
    }),
  );
});

Deno.test("the data loaders answer malformed CSV, TSV, JSON, NDJSON and bytes with a frame or a typed error, and keep numbers exact", async () => {
  assertFuzzPassed(
    await runFuzz({
      numRuns: RUNS,
      seed: SEED,
      only: [
        "data: CSV and TSV text",
        "data: numbers survive CSV and JSON exactly",
        "data: JSON and NDJSON",
        "data: bytes that are no format",
      ],
    }),
  );
});

Deno.test("the validator counts every broken rule exactly as plain code does, for any frame and rules", async () => {
  assertFuzzPassed(
    await runFuzz({ numRuns: RUNS, seed: SEED, only: ["validator: rules and counts"] }),
  );
});

Deno.test("the predict request parser and the HTTP app answer any body with predictions or a 4xx, never a 500", async () => {
  assertFuzzPassed(
    await runFuzz({
      numRuns: RUNS,
      seed: SEED,
      only: [
        "request: JSON body parser",
        "request: CSV body parser",
        "request: the HTTP app end to end",
      ],
    }),
  );
});
