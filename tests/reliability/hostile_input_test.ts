/**
 * Hostile inputs on every entry: config files, overrides and environment; HTTP bodies and paths
 * to the real service; command-line run ids and paths to the real tasks; symbolic links in the
 * registry (issue #9). The cases and their required answers are in `tests/_helpers/hostile.ts`.
 */
import assert from "node:assert/strict";
import { HOSTILE_CASES, runHostileCases } from "../_helpers/hostile.ts";

Deno.test("YAML alias bombs, deep nesting and prototype keys in config are refused by limits and pollute nothing", async () => {
  const results = await runHostileCases(["config"]);
  assert.equal(results.length, HOSTILE_CASES.filter((c) => c.area === "config").length);
  assert.ok(results.every((r) => r.observed.startsWith("ConfigError")));
});

Deno.test("the service answers prototype keys, NaN, Infinity, 1e308, 10 MB strings, 100,000-column rows and path tricks with 4xx errors and keeps serving", async () => {
  const results = await runHostileCases(["http"]);
  assert.equal(results.length, HOSTILE_CASES.filter((c) => c.area === "http").length);
  assert.ok(results.every((r) => /^(400|404|413|422) /.test(r.observed)), JSON.stringify(results));
});

Deno.test("run ids, paths and symbolic links on the command line cannot leave models/ or data/", async () => {
  const results = await runHostileCases(["command line", "files"], { concurrency: 3 });
  assert.equal(
    results.length,
    HOSTILE_CASES.filter((c) => c.area === "command line" || c.area === "files").length,
  );
});

Deno.test("the service behind a gateway refuses missing, wrong and query-string tokens, spoofed admin calls, disallowed origins and slow bodies, answers 500 connections, and refuses only the bad callers of a batch", async () => {
  const results = await runHostileCases(["gateway"]);
  assert.equal(results.length, HOSTILE_CASES.filter((c) => c.area === "gateway").length);
  assert.deepEqual(
    results.map((r) => r.observed.slice(0, 3)),
    ["401", "401", "401", "400", "403", "403", "408", "200", "500", "422"],
  );
});
