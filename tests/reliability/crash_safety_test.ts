/**
 * Crash safety, proven by SIGKILLing real `deno task` processes (issue #9). The harness is
 * `tests/_helpers/crash.ts`; `deno task bench:reliability` runs it with 30+ kills per command.
 * Set `RELIABILITY_SEED` to replay a failure (the seed is printed).
 */
import assert from "node:assert/strict";
import {
  concurrentPromotions,
  killPredict,
  killPromote,
  killTrain,
  killTrainCache,
  staleLockRecovery,
} from "../_helpers/crash.ts";

const SEED = Number(Deno.env.get("RELIABILITY_SEED") ?? Date.now() % 1_000_000);
const KILLS = 5;
console.log(`crash safety seed ${SEED} (replay with RELIABILITY_SEED=${SEED})`);

Deno.test("killing deno task train at any point leaves only complete runs that load and predict, and the next train cleans up", async () => {
  const report = await killTrain({ kills: KILLS, seed: SEED });
  assert.equal(report.records.length, KILLS);
  assert.equal(report.cleaned, report.leftovers);
});

Deno.test("killing deno task train while it writes the stage cache leaves only complete, verified entries, and the next train cleans up", async () => {
  const report = await killTrainCache({ kills: KILLS, seed: SEED });
  assert.equal(report.records.length, KILLS);
  assert.equal(report.cleaned, report.leftovers);
});

Deno.test("killing deno task promote at any point leaves production at the old or the new run, with the log agreeing", async () => {
  const report = await killPromote({ kills: KILLS, seed: SEED });
  assert.equal(report.records.length, KILLS);
  assert.equal(report.cleaned, report.leftovers);
});

Deno.test("killing deno task predict at any point leaves no output or a complete one, and the next predict cleans up", async () => {
  const report = await killPredict({ kills: KILLS, seed: SEED });
  assert.equal(report.records.length, KILLS);
  assert.equal(report.cleaned, report.leftovers);
});

Deno.test("two deno task promote processes started together are serialised by the registry lock", async () => {
  const changes = await concurrentPromotions();
  assert.equal(changes.length, 2);
});

Deno.test("a registry lock left by a SIGKILLed holder is found stale and released by the next promote", async () => {
  const { seconds, warning } = await staleLockRecovery();
  assert.ok(seconds < 10);
  assert.match(warning, /its process \d+ on ".*" no longer holds it \(the process is gone\)/);
});
