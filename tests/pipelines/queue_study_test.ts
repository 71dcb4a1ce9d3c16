/**
 * Tests of studies on the work queue against a real redis-server on a loopback port: the
 * leaderboard equals the local study's with three worker processes while one is killed mid-trial,
 * a worker of another code version is refused, Redis unreachable at start, and Redis lost
 * mid-study (interrupted, then resumed).
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import type { LoadedConfig } from "../../src/config/mod.ts";
import { readStudy, runQueueWorker, runStudy } from "../../src/pipelines/mod.ts";
import type { TrialResult } from "../../src/pipelines/mod.ts";
import { listDir, makeTempProject } from "../_helpers/project.ts";
import { freePort, redisMissing, startRedis, startWorker } from "../_helpers/redis_server.ts";
import { runTask, taskArgs } from "../_helpers/tasks.ts";

const missing = redisMissing();
if (missing !== null) console.log(`queue study tests skipped: ${missing}`);

const TINY_MODEL_CONFIG = `
model:
  family: mlp
  params: { hidden_units: [8], activation: relu, dropout: 0, l2: 0 }
search:
  "model.params.hidden_units": [[8], [16, 8]]
  "training.learning_rate": { low: 0.005, high: 0.05, scale: log }
`;

async function tinyProject(): Promise<LoadedConfig> {
  const root = await makeTempProject({ "config/model_config.yaml": TINY_MODEL_CONFIG });
  return await loadConfig({ root, overrides: ["training.epochs=2"] });
}

function withoutTimes(trials: readonly TrialResult[]): Omit<TrialResult, "seconds">[] {
  return trials.map(({ seconds: _seconds, ...rest }) => rest);
}

Deno.test({
  name: "a queued study with three workers, one killed mid-trial, equals the local study",
  ignore: missing !== null,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const loaded = await tinyProject();
  const settings = { trials: 4, folds: 2, seed: 11, refit: false } as const;
  const local = await runStudy(loaded, { ...settings, workers: 0, studyId: "local" });
  const redis = await startRedis();
  const workers = [0, 1, 2].map(() => startWorker(redis.url, loaded.root, ["--lock-ms", "1500"]));
  try {
    await Promise.all(workers.map((w) => w.waitFor(/takes jobs from/)));
    const study = runStudy(loaded, { ...settings, studyId: "queued", queue: { url: redis.url } });
    // Seeded point: the first worker to start a trial dies in it.
    const first = await Promise.race(
      workers.map((w, i) => w.waitFor(/Running job trial-/, 60_000).then(() => i)),
    );
    await workers[first]!.stop("SIGKILL");
    // Seeded point: every connection is cut once while the others work; they reconnect.
    assert.match(await redis.command("CLIENT", "KILL", "TYPE", "normal"), /^:\d+/);
    const queued = await study;
    assert.equal(queued.status, "finished");
    assert.deepEqual(withoutTimes(queued.leaderboard), withoutTimes(local.leaderboard));
    const record = await readStudy(loaded.config.registry.experiments_dir, "queued");
    assert.deepEqual(record.trials.map((t) => t.id), [0, 1, 2, 3], "each trial counted once");
    assert.deepEqual(record.leaderboard, local.record.leaderboard);
    const killed = workers[first]!.output().match(/Running job (trial-\S+)/)![1]!;
    const others = workers.filter((_, i) => i !== first).map((w) => w.output()).join("\n");
    assert.match(others, new RegExp(`Finished job ${killed}`), "another worker re-ran it");
    // SIGTERM: the workers stop cleanly.
    for (const [i, worker] of workers.entries()) {
      if (i === first) continue;
      const status = await worker.stop("SIGTERM");
      assert.equal(status.code, 0, worker.output());
      assert.match(worker.output(), /worker: stopped/);
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop("SIGTERM")));
    await redis.stop();
  }
});

Deno.test({
  name: "a worker of another code version refuses the trial and the coordinator reports it",
  ignore: missing !== null,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const loaded = await tinyProject();
  const redis = await startRedis();
  const stop = new AbortController();
  const worker = runQueueWorker(redis.url, { signal: stop.signal, codeVersion: "0".repeat(64) });
  try {
    await assert.rejects(
      runStudy(loaded, {
        trials: 2,
        folds: 2,
        refit: false,
        studyId: "mixed",
        queue: { url: redis.url },
      }),
      {
        name: "QueueError",
        message:
          /Refused by worker .*this worker runs 000000000000, so its results would differ; deploy .*--resume mixed/,
      },
    );
    const record = await readStudy(loaded.config.registry.experiments_dir, "mixed");
    assert.equal(record.status, "interrupted");
    assert.equal(record.trials.length, 0);
  } finally {
    stop.abort();
    await worker;
    await redis.stop();
  }
});

Deno.test({
  name: "a queued study fails at once, writing nothing, when Redis is unreachable",
  ignore: missing !== null,
}, async () => {
  const loaded = await tinyProject();
  const url = `redis://127.0.0.1:${freePort()}`;
  const started = performance.now();
  await assert.rejects(
    runStudy(loaded, { trials: 2, folds: 2, queue: { url, connectTimeoutMs: 800 } }),
    {
      name: "QueueError",
      message: new RegExp(
        `Cannot reach the work queue at "${url}": .*after 0.8s; start Redis there .*--queue`,
      ),
    },
  );
  assert.ok(performance.now() - started < 5_000, "the wait is bounded");
  assert.deepEqual(listDir(loaded.config.registry.experiments_dir), [], "no study folder");
});

Deno.test({
  name: "a study whose Redis drops stops as interrupted and resumes to the local leaderboard",
  ignore: missing !== null,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const loaded = await tinyProject();
  const settings = { trials: 4, folds: 2, seed: 5, refit: false } as const;
  const local = await runStudy(loaded, { ...settings, workers: 0, studyId: "local" });
  const redis = await startRedis();
  const queue = { url: redis.url, reconnectMs: 1_000 };
  let stop = new AbortController();
  let worker = runQueueWorker(redis.url, { signal: stop.signal, lockMs: 1_000, reconnectMs: 1_000 })
    .catch((error) => error);
  try {
    // Seeded point: connections are cut after the first result, then Redis goes away.
    let cut = false;
    await assert.rejects(
      runStudy(loaded, {
        ...settings,
        studyId: "dropped",
        queue,
        onTrial: (_trial, progress) => {
          if (progress.done === 1 && !cut) {
            cut = true;
            redis.command("CLIENT", "KILL", "TYPE", "normal").then(() => redis.stop());
          }
        },
      }),
      { name: "QueueError", message: /Lost the work queue .*--resume dropped/ },
    );
    const interrupted = await readStudy(loaded.config.registry.experiments_dir, "dropped");
    assert.equal(interrupted.status, "interrupted");
    assert.ok(interrupted.trials.length >= 1 && interrupted.trials.length < 4);
    const workerError = await worker;
    assert.equal(workerError?.name, "QueueError", "the worker gives up too");

    await redis.start();
    stop = new AbortController();
    worker = runQueueWorker(redis.url, { signal: stop.signal, lockMs: 1_000 });
    const resumed = await runStudy(loaded, { resume: "dropped", refit: false, queue });
    assert.equal(resumed.status, "finished");
    assert.deepEqual(withoutTimes(resumed.leaderboard), withoutTimes(local.leaderboard));
  } finally {
    stop.abort();
    await worker;
    await redis.stop();
  }
});

Deno.test({
  name:
    "Ctrl-C stops a queued tune, takes its waiting trials off the queue, and --resume finishes it",
  ignore: missing !== null,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const loaded = await tinyProject();
  const redis = await startRedis();
  const stop = new AbortController();
  const worker = runQueueWorker(redis.url, { signal: stop.signal, lockMs: 1_000 });
  const common = ["--set", "training.epochs=2", "--queue", redis.url];
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: taskArgs("tune", ["--trials", "4", "--folds", "2", ...common], loaded.root),
      cwd: loaded.root,
      env: { NO_COLOR: "1", CI: "true" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const decoder = new TextDecoder();
    let stdout = "";
    const reader = child.stdout.getReader();
    // Seeded point: Ctrl-C once the first trial is in.
    while (!/\[1\/4\]/.test(stdout)) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += decoder.decode(value, { stream: true });
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += decoder.decode(value, { stream: true });
    }
    const status = await child.status;
    const stderr = decoder.decode(await new Response(child.stderr).arrayBuffer());
    assert.equal(status.code, 130, stderr);
    const id = stderr.match(
      /continue with: deno task tune --set "training.epochs=2" --queue redis:\/\/127\.0\.0\.1:\d+ --resume (\S+)/,
    )?.[1];
    assert.ok(id, stderr);
    const interrupted = await readStudy(loaded.config.registry.experiments_dir, id);
    assert.equal(interrupted.status, "interrupted");
    assert.match(await redis.command("LLEN", "bull:deno-mlops:wait"), /^:0\r\n/, "no trial waits");

    const resumed = await runTask("tune", [...common, "--resume", id], loaded.root);
    assert.equal(resumed.code, 0, resumed.stderr);
    const finished = await readStudy(loaded.config.registry.experiments_dir, id);
    assert.equal(finished.status, "finished");
    assert.deepEqual(finished.trials.map((t) => t.id), [0, 1, 2, 3]);
    assert.notEqual(finished.final_run, null);
  } finally {
    stop.abort();
    await worker;
    await redis.stop();
  }
});
