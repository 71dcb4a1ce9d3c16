/**
 * Tests of `deno task predict --queue` against a real redis-server on a loopback port: the
 * output equals local predict's, and a bad row fails the job with nothing written.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { openRun, predictFile, runQueueWorker, runTraining } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { listDir, makeTempProject } from "../_helpers/project.ts";
import { redisMissing, startRedis } from "../_helpers/redis_server.ts";
import { runTask } from "../_helpers/tasks.ts";

const missing = redisMissing();
if (missing !== null) console.log(`queue predict tests skipped: ${missing}`);

Deno.test({
  name: "predict --queue writes the same output as local predict, and nothing for a bad row",
  ignore: missing !== null,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const csv = await Deno.readTextFile(`${root}/data/raw/penguins.csv`);
  const lines = csv.trimEnd().split("\n");
  await Deno.writeTextFile(
    `${root}/data/raw/penguins.csv`,
    [`id,${lines[0]}`, ...lines.slice(1).map((l, i) => `p${i + 1},${l}`)].join("\n") + "\n",
  );
  const loaded = await loadConfig({
    root,
    overrides: ["training.epochs=2", "data.id_columns=[id]"],
  });
  const trained = await runTraining(loaded);
  trained.model.dispose();
  // The complete rows: local predict fails the whole file on a missing value too.
  const rows = lines.slice(1).map((l, i) => `p${i + 1},${l}`).filter((l) =>
    /,(MALE|FEMALE)$/.test(l)
  );
  const input = `${root}/in.csv`;
  await Deno.writeTextFile(input, [`id,${lines[0]}`, ...rows].join("\n") + "\n");
  const run = await openRun(trained.id, loaded);
  try {
    await predictFile(run, { input, output: `${root}/data/processed/local.csv` });
  } finally {
    run.model.dispose();
  }

  const redis = await startRedis();
  const stop = new AbortController();
  const workers = [0, 1].map(() => runQueueWorker(redis.url, { signal: stop.signal, root }));
  try {
    const queued = await runTask("predict", [
      "--run",
      trained.id,
      "--input",
      input,
      "--output",
      "data/processed/queued.csv",
      "--queue",
      redis.url,
      "--partition-rows",
      "100",
    ], root);
    assert.equal(queued.code, 0, queued.stderr);
    assert.match(queued.stdout, new RegExp(`scored ${rows.length} of ${rows.length} rows`));
    const local = await Deno.readTextFile(`${root}/data/processed/local.csv`);
    assert.equal(await Deno.readTextFile(`${root}/data/processed/queued.csv`), local);

    const bad = [...rows];
    bad[250] = bad[250]!.replace(/,(\d+\.\d+),/, ",abc,");
    await Deno.writeTextFile(`${root}/bad.csv`, [`id,${lines[0]}`, ...bad].join("\n") + "\n");
    const refused = await runTask("predict", [
      "--run",
      trained.id,
      "--input",
      `${root}/bad.csv`,
      "--output",
      "data/processed/bad.csv",
      "--queue",
      redis.url,
      "--partition-rows",
      "100",
    ], root);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /1 row\(s\) cannot be scored, so nothing was written\n\s+row 251, /,
    );
    assert.ok(!listDir(`${root}/data/processed`).some((name) => name.includes("bad")));
  } finally {
    stop.abort();
    await Promise.all(workers);
    await redis.stop();
  }
});
