import assert from "node:assert/strict";
import type { RegistryConfig } from "../../src/config/mod.ts";
import {
  listProductionProjects,
  listRunIds,
  listRuns,
  promoteRun,
  readProduction,
  readProductionPointer,
  readPromotionLog,
  readRunFolder,
  registryMirrorDir,
  rollbackProduction,
  writeRunFolder,
} from "../../src/models/mod.ts";
import type { RunRecord } from "../../src/models/mod.ts";
import { openObjectStore, readObjectText } from "../../src/storage/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { S3_TEST, withS3 } from "../_helpers/s3_fixture.ts";
import { withEnv } from "../_helpers/s3_server.ts";

const REGISTRY: RegistryConfig = {
  experiments_dir: "s3://models/experiments",
  production_dir: "s3://models/production",
  primary_metric: "f1_macro",
  min_improvement: 0,
};
const PRODUCTION = "s3://models/production/penguins";
const quiet = { level: "fatal" } as const;

/** Writes a small run with metrics under the registry's experiments prefix. */
async function fakeRun(
  id: string,
  test: number,
  experiments = REGISTRY.experiments_dir,
): Promise<{ dir: string; record: RunRecord }> {
  const split = { f1_macro: test, accuracy: test, n: 50 };
  const baseline = { f1_macro: 0.2, accuracy: 0.2, n: 50 };
  return await writeRunFolder(experiments, {
    format_version: 1,
    id,
    created: `2026-12-0${id.slice(-1)}T00:00:00.000Z`,
    project: "penguins",
    profile: null,
    task: "classification",
    family: "mlp",
    git: { commit: null, dirty: null },
    versions: {},
    seeds: { split: 42, training: 42 },
    config_hash: "ab".repeat(32),
    data: [],
    test_fingerprint: "cd".repeat(32),
    rows: { raw: 10, clean: 10, train: 6, val: 2, test: 2 },
    primary: { metric: "f1_macro", val: test, test },
    stages: {},
  }, async (dir) => {
    await Deno.writeTextFile(
      `${dir}/metrics.json`,
      JSON.stringify({
        primary_metric: "f1_macro",
        model: { train: split, val: split, test: split },
        baseline: { train: baseline, val: baseline, test: baseline },
      }),
    );
    await Deno.mkdir(`${dir}/model`);
    await Deno.writeTextFile(`${dir}/model/weights.bin`, "w".repeat(1000) + id);
  });
}

async function keys(prefix: string): Promise<string[]> {
  const base = prefix.replace(/\/?$/, "/");
  return (await openObjectStore().list(base)).map((o) => o.url.slice(base.length));
}

Deno.test({
  name: "a run written under s3:// is published with run.json last, listed, and fetched verified",
  ...S3_TEST,
  fn: () =>
    withS3(async ({ proxy }) => {
      const written = await fakeRun("20261201-000000-penguins-aaaaaaa1", 0.8);
      const id = written.record.id;
      assert.equal(written.dir, `${registryMirrorDir(REGISTRY.experiments_dir)}/${id}`);
      const puts = proxy.requests.filter((r) => r.startsWith("PUT /models/experiments/"))
        .map((r) => r.replace(/\?.*$/, ""));
      assert.equal(puts.at(-1), `PUT /models/experiments/${id}/run.json`);
      assert.deepEqual(await keys(`${REGISTRY.experiments_dir}/${id}`), [
        "metrics.json",
        "model/weights.bin",
        "run.json",
      ]);
      // A prefix without run.json (an upload that died) is not a run.
      await openObjectStore().put(`${REGISTRY.experiments_dir}/20261202-000000-x-b/a.txt`, "x");
      assert.deepEqual(await listRunIds(REGISTRY.experiments_dir), [id]);

      await Deno.remove(registryMirrorDir(REGISTRY.experiments_dir), { recursive: true });
      const fetched = await readRunFolder(REGISTRY.experiments_dir, id);
      assert.deepEqual(fetched.record, written.record);
      assert.equal(
        await Deno.readTextFile(`${fetched.dir}/model/weights.bin`),
        "w".repeat(1000) + id,
      );
      const gets = () => proxy.requests.filter((r) => r.startsWith("GET /models/")).length;
      const before = gets();
      await readRunFolder(REGISTRY.experiments_dir, id); // the mirror is reused: run.json only
      assert.equal(gets() - before, 1);
      // A mirrored file changed locally is found and fetched again.
      await Deno.writeTextFile(`${fetched.dir}/metrics.json`, "{}");
      const again = await captureLogsAsync(() => readRunFolder(REGISTRY.experiments_dir, id));
      assert.equal(again.record.id, id);
      assert.notEqual(await Deno.readTextFile(`${again.dir}/metrics.json`), "{}");
      const runs = await listRuns(REGISTRY.experiments_dir);
      assert.deepEqual(runs.map((r) => [r.id, r.problem]), [[id, null]]);
      await assert.rejects(() => readRunFolder(REGISTRY.experiments_dir, `${id.slice(0, -1)}2`), {
        name: "ArtifactError",
        message:
          /it is not published \(no run.json; did you mean "20261201-000000-penguins-aaaaaaa1"/,
      });
    }),
});

async function captureLogsAsync<T>(body: () => Promise<T>): Promise<T> {
  using _logs = captureLogs(quiet);
  return await body();
}

Deno.test({
  name: "a 5xx or a timeout mid-publish leaves no run.json and nothing listed, with a clear error",
  ...S3_TEST,
  fn: () =>
    withS3(async ({ proxy }) => {
      // The second object upload fails on every attempt: metrics.json went up, weights did not.
      proxy.setFaults([{ at: 2, times: 9, kind: "status", status: 503, only: /^PUT / }]);
      await assert.rejects(() => fakeRun("20261201-000000-penguins-aaaaaaa1", 0.8), {
        name: "StorageError",
        message:
          /Cannot publish run to "s3:\/\/models\/experiments\/20261201-000000-penguins-aaaaaaa1": .*503.*the run is not published \(its run.json was not written\)/,
      });
      assert.deepEqual(await keys(REGISTRY.experiments_dir), []);
      assert.deepEqual(await listRunIds(REGISTRY.experiments_dir), []);

      // A hang on the run.json upload itself: still nothing published.
      proxy.setFaults([{ at: 1, times: 9, kind: "hang", only: /^PUT .*run\.json/ }]);
      await assert.rejects(() => fakeRun("20261201-000000-penguins-aaaaaaa2", 0.8), {
        name: "StorageError",
        message: /did not answer within 300 ms.*the run is not published/,
      });
      assert.deepEqual(await listRunIds(REGISTRY.experiments_dir), []);
      assert.deepEqual(await keys(REGISTRY.experiments_dir), []);
      proxy.setFaults([]);
      await fakeRun("20261201-000000-penguins-aaaaaaa3", 0.8);
      assert.deepEqual(await listRunIds(REGISTRY.experiments_dir), [
        "20261201-000000-penguins-aaaaaaa3",
      ]);
    }, { timeoutMs: 300 }),
});

Deno.test({
  name: "promotion and rollback under s3:// swap the pointer, log each change and keep copies",
  ...S3_TEST,
  fn: () =>
    withS3(async ({ proxy }) => {
      using _logs = captureLogs(quiet);
      const a = (await fakeRun("20261201-000000-penguins-aaaaaaa1", 0.8)).record.id;
      const b = (await fakeRun("20261202-000000-penguins-aaaaaaa2", 0.9)).record.id;
      const first = await promoteRun(REGISTRY, "penguins", { runId: a });
      assert.deepEqual([first.from, first.to, first.action], [null, a, "promote"]);
      assert.ok(
        proxy.requests.some((r) => r.startsWith("PUT /models/production/penguins/current.json")),
      );
      const second = await promoteRun(REGISTRY, "penguins");
      assert.deepEqual([second.from, second.to], [a, b]);
      const production = await readProduction(PRODUCTION);
      assert.equal(production?.runId, b);
      assert.equal(production?.dir, `${registryMirrorDir(PRODUCTION)}/runs/${b}`);
      assert.deepEqual(production?.pointer.history, [a, b]);
      await assert.rejects(() => promoteRun(REGISTRY, "penguins", { runId: a }), {
        name: "PromotionRefusedError",
        message: /the gate refused it, production is unchanged/,
      });
      const back = await rollbackProduction(REGISTRY, "penguins", { reason: "test" });
      assert.deepEqual([back.from, back.to], [b, a]);
      assert.equal((await readProductionPointer(PRODUCTION))?.run_id, a);
      // Polling an unchanged pointer costs a HEAD, not a GET.
      const pointerGets = () =>
        proxy.requests.filter((r) => r.startsWith("GET /models/production/penguins/current.json"))
          .length;
      const gets = pointerGets();
      for (let i = 0; i < 3; i++) {
        assert.equal((await readProductionPointer(PRODUCTION))?.run_id, a);
      }
      assert.equal(pointerGets(), gets);
      const log = await readPromotionLog(PRODUCTION);
      assert.deepEqual(log.map((e) => [e.action, e.from, e.to]), [
        ["promote", null, a],
        ["promote", a, b],
        ["rollback", b, a],
      ]);
      assert.deepEqual(await listProductionProjects(REGISTRY.production_dir), ["penguins"]);
      // Copies outside the history were unpublished by the rollback's prune.
      assert.deepEqual((await keys(`${PRODUCTION}/runs`)).filter((k) => k.endsWith("run.json")), [
        `${a}/run.json`,
      ]);
    }),
});

Deno.test({
  name: "two promoters racing on an s3:// pointer: exactly one wins, the other is refused",
  ...S3_TEST,
  fn: () =>
    withS3(async () => {
      using _logs = captureLogs(quiet);
      const ids = [];
      for (let i = 1; i <= 3; i++) {
        ids.push((await fakeRun(`20261201-000000-penguins-aaaaaaa${i}`, 0.7 + i / 100)).record.id);
      }
      // Both read an empty slot (If-None-Match: *), then both read the same pointer (If-Match).
      for (const pair of [[ids[0]!, ids[1]!], [ids[2]!, ids[2]!]]) {
        const results = await Promise.allSettled(
          pair.map((runId) =>
            promoteRun(REGISTRY, "penguins", { runId, force: true, reason: "r" })
          ),
        );
        const won = results.filter((r) => r.status === "fulfilled");
        const lost = results.filter((r) => r.status === "rejected");
        assert.equal(won.length, 1, JSON.stringify(results));
        assert.equal(lost.length, 1);
        const error = (lost[0] as PromiseRejectedResult).reason as Error;
        assert.equal(error.name, "PromotionRefusedError", error.message);
        assert.match(
          error.message,
          /current.json" changed after it was read: another promotion or rollback won; this change was not made/,
        );
        const winner = (won[0] as PromiseFulfilledResult<{ to: string }>).value.to;
        assert.equal((await readProductionPointer(PRODUCTION))?.run_id, winner);
      }
      const log = await readPromotionLog(PRODUCTION);
      assert.equal(log.length, 2);
      assert.equal(log[1]?.from, log[0]?.to);
    }),
});

Deno.test({
  name: "a stale s3:// pointer is refused with the recovery, and rollback or force recovers",
  ...S3_TEST,
  fn: () =>
    withS3(async ({ proxy }) => {
      using _logs = captureLogs(quiet);
      const store = openObjectStore();
      const a = (await fakeRun("20261201-000000-penguins-aaaaaaa1", 0.8)).record.id;
      const b = (await fakeRun("20261202-000000-penguins-aaaaaaa2", 0.9)).record.id;
      const c = (await fakeRun("20261203-000000-penguins-aaaaaaa3", 0.95)).record.id;
      await promoteRun(REGISTRY, "penguins", { runId: a });
      await promoteRun(REGISTRY, "penguins", { runId: b });
      // The copy of b is damaged in the store: a weight file changed.
      await store.put(`${PRODUCTION}/runs/${b}/model/weights.bin`, "tampered");
      await Deno.remove(registryMirrorDir(PRODUCTION), { recursive: true });
      await assert.rejects(() => readProduction(PRODUCTION), {
        name: "ArtifactError",
        message: new RegExp(
          `Cannot read production run "${b}" named by "s3://models/production/penguins/current.json": its copy .* is damaged: .*the pointer is stale, roll back with \`deno task rollback\``,
        ),
      });
      await assert.rejects(() => promoteRun(REGISTRY, "penguins", { runId: c }), {
        name: "ArtifactError",
        message: /the pointer is stale.*production was not changed/,
      });
      const back = await rollbackProduction(REGISTRY, "penguins");
      assert.equal(back.to, a);
      assert.equal((await readProduction(PRODUCTION))?.runId, a);
      // A pointer naming a copy that is gone entirely; force replaces it.
      for (const o of await store.list(`${PRODUCTION}/runs/${a}/`)) await store.delete(o.url);
      await assert.rejects(() => readProduction(PRODUCTION), {
        message:
          /its copy "s3:\/\/models\/production\/penguins\/runs\/.*" is missing; the pointer is stale/,
      });
      const forced = await promoteRun(REGISTRY, "penguins", {
        runId: c,
        force: true,
        reason: "repair",
      });
      assert.equal(forced.action, "force");
      assert.equal((await readProduction(PRODUCTION))?.runId, c);
      // A 5xx on the pointer write leaves production as it was.
      const d = (await fakeRun("20261204-000000-penguins-aaaaaaa4", 0.97)).record.id;
      const pointer = await readObjectText(store, `${PRODUCTION}/current.json`);
      proxy.setFaults([{ at: 1, times: 9, kind: "status", status: 500, only: /^PUT .*current/ }]);
      await assert.rejects(() => promoteRun(REGISTRY, "penguins", { runId: d }), {
        name: "StorageError",
        message: /Cannot put "s3:\/\/models\/production\/penguins\/current.json": .*answered 500/,
      });
      proxy.setFaults([]);
      assert.equal(
        (await readObjectText(store, `${PRODUCTION}/current.json`))?.text,
        pointer?.text,
      );
    }),
});

Deno.test({
  name: "an s3:// registry without credentials fails naming the variables to set",
  ...S3_TEST,
  fn: () =>
    withEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }, async () => {
      await assert.rejects(() => readProduction(PRODUCTION), {
        name: "ConfigError",
        message:
          /Cannot reach the object store: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
      });
      await assert.rejects(() => listRunIds(REGISTRY.experiments_dir), { name: "ConfigError" });
    }),
});
