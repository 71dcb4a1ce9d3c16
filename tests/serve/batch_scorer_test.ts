import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { compileRowScorer, openRun, runTraining } from "../../src/pipelines/mod.ts";
import type { RowScoreOutcome, RowScorer } from "../../src/pipelines/mod.ts";
import { BatchScorer, parseJsonRows, rowsSchemaForRun } from "../../src/serve/mod.ts";
import type { BatchInfo } from "../../src/serve/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

const ADELIE = {
  Island: "Dream",
  "Beak Length (mm)": 39.5,
  "Beak Depth (mm)": 18.8,
  "Flipper Length (mm)": 190,
  "Body Mass (g)": 3700,
  Sex: "MALE",
};
const GENTOO = { ...ADELIE, Island: "Biscoe", "Beak Depth (mm)": 13.2, "Body Mass (g)": 5000 };

const RUN = await (async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root, overrides: ["training.epochs=3"] });
  const result = await runTraining(loaded);
  result.model.dispose();
  return await openRun(result.id, loaded);
})();
const ROW_SCORER = compileRowScorer(RUN)!;

function rows(list: unknown[]) {
  return parseJsonRows(JSON.stringify({ rows: list }), rowsSchemaForRun(RUN));
}

/** A scorer that counts its calls and answers `outcome` (or throws it). */
function fakeScorer(outcome: RowScoreOutcome | Error): RowScorer & { calls: number } {
  const fake = {
    runId: RUN.id,
    calls: 0,
    score: () => fake.scoreColumns(),
    scoreColumns: () => {
      fake.calls++;
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
  return fake;
}

/** A scorer with callbacks that record the calls and fallbacks. */
function recording(options: ConstructorParameters<typeof BatchScorer>[0] = {}) {
  const calls: BatchInfo[] = [];
  const fallbacks: string[] = [];
  const scorer = new BatchScorer({
    ...options,
    onBatch: (info) => calls.push(info),
    onFallback: (reason) => fallbacks.push(reason),
  });
  return { scorer, calls, fallbacks };
}

Deno.test("BatchScorer answers with the row engine at once, and the same as with scoreRows", async () => {
  const engine = recording();
  const polars = recording();
  const request = rows([GENTOO, ADELIE, { ...ADELIE, "Body Mass (g)": 9000 }]);
  const fast = await engine.scorer.score(RUN, request, ROW_SCORER);
  const slow = await polars.scorer.score(RUN, request);
  assert.deepEqual(fast, slow);
  assert.deepEqual(fast.predictions.slice(0, 2).map((p) => p.prediction), ["Gentoo", "Adelie"]);
  assert.equal(fast.warnings[0]?.kind, "out_of_range");
  assert.deepEqual(engine.calls.map((c) => [c.engine, c.requests, c.rows]), [["rows", 1, 3]]);
  assert.deepEqual(polars.calls.map((c) => [c.engine, c.requests, c.rows]), [["polars", 1, 3]]);
  // A refusal is the same too.
  const bad = rows([ADELIE, { ...ADELIE, Sex: null }, { ...ADELIE, Island: 3 }]);
  const refusals = await Promise.allSettled([
    engine.scorer.score(RUN, bad, ROW_SCORER),
    polars.scorer.score(RUN, bad),
  ]);
  assert.ok(refusals.every((r) => r.status === "rejected"));
  const [a, b] = refusals.map((r) => (r as PromiseRejectedResult).reason);
  assert.equal(a.status, 422);
  assert.deepEqual(a.toBody(), b.toBody());
  assert.equal(a.toBody().problems.length, 2);
  assert.deepEqual(engine.fallbacks, []);
});

Deno.test("BatchScorer gives scoreRows the requests the row engine falls back on, throws on, or are too large", async () => {
  const expected = await new BatchScorer().score(RUN, rows([GENTOO]));
  const cases: Array<[RowScorer & { calls: number }, number, string[]]> = [
    [fakeScorer({ fallback: true, reason: "a date in another form" }), 1, [
      "a date in another form",
    ]],
    [fakeScorer(new Error("the model refused")), 1, ["the model refused"]],
  ];
  for (const [fake, calls, fallbacks] of cases) {
    const s = recording();
    assert.deepEqual(await s.scorer.score(RUN, rows([GENTOO]), fake), expected);
    assert.equal(fake.calls, calls);
    assert.deepEqual(s.fallbacks, fallbacks);
    assert.deepEqual(s.calls.map((c) => c.engine), ["polars"]);
  }
  // More rows than rowEngineMaxRows: the engine is not asked.
  const fake = fakeScorer({ fallback: true, reason: "never asked" });
  const small = recording({ rowEngineMaxRows: 1 });
  const answer = await small.scorer.score(RUN, rows([GENTOO, ADELIE]), fake);
  assert.equal(answer.predictions.length, 2);
  assert.equal(fake.calls, 0);
  assert.deepEqual(small.calls.map((c) => c.engine), ["polars"]);
});

Deno.test("BatchScorer refuses a negative rowEngineMaxRows", () => {
  assert.throws(() => new BatchScorer({ rowEngineMaxRows: -1 }), {
    name: "RangeError",
    message: /rowEngineMaxRows must be a non-negative integer, got -1/,
  });
});
