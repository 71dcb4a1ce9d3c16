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

const GBDT_RUN = await (async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({
    root,
    overrides: ["model.family=gbdt", "model.params.rounds=20"],
  });
  const result = await runTraining(loaded);
  result.model.dispose();
  return await openRun(result.id, loaded);
})();

/** `count` requests of 1–3 rows spread over the training range, seeded by their position. */
function spreadRequests(count: number): unknown[][] {
  const islands = ["Biscoe", "Dream", "Torgersen"];
  return Array.from({ length: count }, (_, r) =>
    Array.from({ length: 1 + (r % 3) }, (_, k) => {
      const i = r * 3 + k;
      return {
        Island: islands[i % 3],
        "Beak Length (mm)": 34 + ((i * 7.3) % 24),
        "Beak Depth (mm)": 13.1 + ((i * 1.7) % 8),
        "Flipper Length (mm)": 175 + ((i * 11) % 55),
        "Body Mass (g)": 2900 + ((i * 173) % 3300),
        Sex: i % 2 === 0 ? "MALE" : "FEMALE",
      };
    }));
}

Deno.test("BatchScorer scores concurrent announced requests in one row-engine call, each exactly as alone", async () => {
  for (const run of [RUN, GBDT_RUN]) {
    const rowScorer = compileRowScorer(run)!;
    const parse = (list: unknown[]) =>
      parseJsonRows(JSON.stringify({ rows: list }), rowsSchemaForRun(run));
    const requests = spreadRequests(24).map(parse);
    // One request has a missing value: it alone is refused, with what it gets alone.
    requests[7] = parse([GENTOO, { ...ADELIE, "Body Mass (g)": null }]);
    const alone = recording({ batchWaitMs: 0 });
    const expected = await Promise.allSettled(
      requests.map((r) => alone.scorer.score(run, r, rowScorer)),
    );
    assert.equal(alone.calls.length, 24);

    const batched = recording({ batchWaitMs: 30 });
    const announced = requests.map(() => batched.scorer.expect());
    assert.equal(batched.scorer.expected, 24);
    const answers = requests.map((r, i) => batched.scorer.score(run, r, rowScorer, announced[i]!));
    // All arrived in this turn: the batch waits for the next one.
    assert.equal(batched.scorer.expected, 0);
    assert.equal(batched.calls.length, 0);
    const got = await Promise.allSettled(answers);
    assert.deepEqual(batched.calls.map((c) => [c.engine, c.requests]), [["rows", 24]]);
    assert.equal(batched.calls[0]!.rows, requests.reduce((sum, r) => sum + r.count, 0));
    assert.equal(got.filter((g) => g.status === "rejected").length, 1, run.model.family);
    got.forEach((g, i) => {
      const e = expected[i]!;
      assert.equal(g.status, e.status);
      if (g.status === "fulfilled" && e.status === "fulfilled") {
        assert.deepEqual(g.value, e.value); // bit-identical probabilities
      } else {
        const reason = (s: PromiseSettledResult<unknown>) =>
          (s as PromiseRejectedResult).reason.toBody();
        assert.deepEqual(reason(g), reason(e));
      }
    });
    assert.equal(batched.scorer.pending, 0);
  }
});

Deno.test("BatchScorer gathers requests that arrive together, turn after turn, without announcements", async () => {
  const s = recording({ batchWaitMs: 1000 });
  const answers = spreadRequests(10).map((list) => s.scorer.score(RUN, rows(list), ROW_SCORER));
  // They wait for the next turn of the event loop, then go together: no turn brought more.
  assert.equal(s.calls.length, 0);
  assert.equal(s.scorer.pending, 10);
  const started = performance.now();
  const got = await Promise.all(answers);
  assert.ok(performance.now() - started < 500, "waited for the deadline");
  assert.deepEqual(s.calls.map((c) => c.requests), [10]);
  const alone = new BatchScorer({ batchWaitMs: 0 });
  for (const [i, list] of spreadRequests(10).entries()) {
    assert.deepEqual(got[i], await alone.score(RUN, rows(list), ROW_SCORER));
  }
  // A lone request waits one turn, not for the deadline.
  const lone = s.scorer.score(RUN, rows([GENTOO]), ROW_SCORER);
  const loneStarted = performance.now();
  assert.equal((await lone).predictions[0]!.prediction, "Gentoo");
  assert.ok(performance.now() - loneStarted < 500, "waited for the deadline");
  assert.deepEqual(s.calls.map((c) => c.requests), [10, 1]);
});

Deno.test("BatchScorer waits for an announced request until the deadline, and no longer once it is withdrawn", async () => {
  const s = recording({ batchWaitMs: 100 });
  const late = s.scorer.expect();
  const started = performance.now();
  const waiting = s.scorer.score(RUN, rows([ADELIE]), ROW_SCORER, s.scorer.expect());
  assert.equal(s.scorer.pending, 1);
  assert.equal((await waiting).predictions[0]!.prediction, "Adelie");
  assert.ok(performance.now() - started >= 95, "scored before the deadline");
  assert.deepEqual(s.calls.map((c) => c.requests), [1]);

  const slow = s.scorer.expect(); // a second request whose body never comes
  const other = s.scorer.score(RUN, rows([GENTOO]), ROW_SCORER, s.scorer.expect());
  late.cancel();
  late.cancel(); // twice does nothing
  assert.equal(s.scorer.expected, 1);
  slow.cancel();
  assert.equal(s.scorer.expected, 0);
  const withdrawn = performance.now();
  assert.equal((await other).predictions[0]!.prediction, "Gentoo");
  assert.ok(performance.now() - withdrawn < 60, "waited for the deadline after the withdrawal");
  assert.deepEqual(s.calls.map((c) => c.requests), [1, 1]);
});

Deno.test("BatchScorer scores a batch at once when every client seen lately has a request in it", async () => {
  const s = recording({ batchWaitMs: 1000 });
  // One client sending back to back, however fast: it cannot send while it waits, so no wait.
  for (let i = 0; i < 5; i++) {
    const answer = s.scorer.score(
      RUN,
      rows([GENTOO]),
      ROW_SCORER,
      s.scorer.expect("10.0.0.1:5000"),
    );
    assert.equal(s.calls.length, i + 1);
    await answer;
  }
  // Two clients: the batch waits for the second, and goes as soon as it is in.
  const a = s.scorer.expect("10.0.0.2:6000");
  const b = s.scorer.expect("10.0.0.1:5000");
  const first = s.scorer.score(RUN, rows([ADELIE]), ROW_SCORER, a);
  assert.equal(s.calls.length, 5);
  const second = s.scorer.score(RUN, rows([GENTOO]), ROW_SCORER, b);
  assert.deepEqual(s.calls.map((c) => c.requests), [1, 1, 1, 1, 1, 2]);
  assert.deepEqual(
    (await Promise.all([first, second])).map((r) => r.predictions[0]!.prediction),
    ["Adelie", "Gentoo"],
  );
});

Deno.test("BatchScorer scores a batch once it holds batchRows rows, and larger requests alone", async () => {
  const s = recording({ batchWaitMs: 1000, batchRows: 4 });
  const pending = s.scorer.expect(); // keeps the batches waiting
  const answers = [
    s.scorer.score(RUN, rows([GENTOO, ADELIE]), ROW_SCORER, s.scorer.expect()),
    s.scorer.score(RUN, rows([GENTOO]), ROW_SCORER, s.scorer.expect()),
  ];
  assert.equal(s.calls.length, 0);
  answers.push(s.scorer.score(RUN, rows([ADELIE]), ROW_SCORER, s.scorer.expect()));
  assert.deepEqual(s.calls.map((c) => [c.requests, c.rows]), [[3, 4]]);
  // A request of batchRows rows or more is scored alone at once.
  answers.push(s.scorer.score(RUN, rows([GENTOO, GENTOO, ADELIE, ADELIE]), ROW_SCORER));
  assert.deepEqual(s.calls.map((c) => [c.requests, c.rows]), [[3, 4], [1, 4]]);
  pending.cancel();
  const predictions = (await Promise.all(answers)).map((a) =>
    a.predictions.map((p) => p.prediction)
  );
  assert.deepEqual(predictions, [
    ["Gentoo", "Adelie"],
    ["Gentoo"],
    ["Adelie"],
    ["Gentoo", "Gentoo", "Adelie", "Adelie"],
  ]);
});

Deno.test("BatchScorer scores each request of a batch alone when the merged call falls back", async () => {
  // Falls back on more than one row, as a row polars must answer would make the merged call.
  const picky: RowScorer & { calls: number } = {
    runId: RUN.id,
    calls: 0,
    score: (_list, keep) => picky.scoreColumns(new Map(), keep),
    scoreColumns: (columns, keep) => {
      picky.calls++;
      const count = [...columns.values()][0]?.length ?? 0;
      return count > 1
        ? { fallback: true, reason: "a row for polars" }
        : ROW_SCORER.scoreColumns(columns, keep);
    },
  };
  const s = recording({ batchWaitMs: 20 });
  const tickets = [s.scorer.expect(), s.scorer.expect(), s.scorer.expect()];
  const answers = await Promise.all([
    s.scorer.score(RUN, rows([GENTOO]), picky, tickets[0]!),
    s.scorer.score(RUN, rows([ADELIE]), picky, tickets[1]!),
    s.scorer.score(RUN, rows([GENTOO, ADELIE]), picky, tickets[2]!),
  ]);
  assert.deepEqual(answers.map((a) => a.predictions.map((p) => p.prediction)), [
    ["Gentoo"],
    ["Adelie"],
    ["Gentoo", "Adelie"],
  ]);
  // The merged call, then each alone: the two-row request goes on to scoreRows.
  assert.equal(picky.calls, 4);
  assert.deepEqual(s.calls.map((c) => [c.engine, c.requests]), [["rows", 1], ["rows", 1], [
    "polars",
    1,
  ]]);
  assert.deepEqual(s.fallbacks, ["a row for polars"]);
});

Deno.test("BatchScorer refuses a negative batchWaitMs and a batchRows of 0", () => {
  assert.throws(() => new BatchScorer({ batchWaitMs: -1 }), {
    name: "RangeError",
    message: /batchWaitMs must be a non-negative integer, got -1/,
  });
  assert.throws(() => new BatchScorer({ batchRows: 0 }), {
    name: "RangeError",
    message: /batchRows must be a positive integer, got 0/,
  });
});
