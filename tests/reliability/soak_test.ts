/**
 * A short soak of the real service (issue #9): a steady mix of valid and invalid requests while
 * production is promoted and rolled back, with a bearer token required and sent, micro-batching
 * and live drift on (issue #18). The full soak (several minutes, with the memory and
 * file-handle drift limits) is `bench/soak.ts`, run by `deno task bench:reliability`.
 */
import assert from "node:assert/strict";
import { runSoak } from "../../bench/soak.ts";

Deno.test("the service answers every valid request and gives every invalid one its status through a promotion and a rollback", async () => {
  const report = await runSoak({
    seconds: 10,
    clients: 2,
    seed: 1,
    driftIntervalSeconds: 2,
    driftMinRows: 10,
  });
  assert.equal(report.auth, true, "the soak runs with a bearer token required");
  // Micro-batching and live drift were on: every scored request went through a scoring call,
  // and drift was checked on the recent rows, within their bound.
  assert.ok(report.batching.calls > 0 && report.batching.requests >= report.batching.calls);
  assert.equal(report.drift.status, "ok", JSON.stringify(report.drift));
  assert.equal(report.drift.capacity, 1000);
  assert.ok(report.drift.reservoirRows > 0 && report.drift.reservoirRows <= 1000);
  assert.equal(typeof report.drift.datasetDrifted, "boolean");
  assert.deepEqual(report.failures, []);
  assert.equal(report.validFailures, 0);
  assert.equal(report.invalidWrong, 0);
  assert.ok(
    report.valid > 100 && report.invalid > 20,
    `${report.valid} valid, ${report.invalid} invalid`,
  );
  assert.ok((report.runIds[report.runs.first] ?? 0) > 0, "the first run served");
  assert.ok((report.runIds[report.runs.second] ?? 0) > 0, "the promoted run served");
  for (const [kind, counts] of Object.entries(report.byKind)) {
    assert.deepEqual(
      Object.keys(counts.statuses),
      counts.sent === 0 ? [] : [String(counts.expected)],
      kind,
    );
  }
});
