/** Tests of runJobs and serveJobs against a real redis-server on a loopback port. */
import assert from "node:assert/strict";
import { QueueConnection, runJobs, serveJobs } from "../../src/queue/mod.ts";
import { redisMissing, startRedis } from "../_helpers/redis_server.ts";

const missing = redisMissing();
if (missing !== null) console.log(`queue job tests skipped: ${missing}`);

Deno.test({
  name: "runJobs() hands each result over once and whole, however often it sweeps",
  ignore: missing !== null,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const redis = await startRedis();
  const connection = await QueueConnection.open(redis.url);
  const stop = new AbortController();
  const handlers = {
    square: async (data: unknown) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { square: (data as number) ** 2 };
    },
  };
  const workers = [0, 1].map(() =>
    serveJobs({ connection, handlers, signal: stop.signal, lockMs: 1_000 })
  );
  try {
    const jobs = Array.from({ length: 60 }, (_, i) => ({ id: `sq-${i}`, name: "square", data: i }));
    const seen: [string, unknown][] = [];
    // A sweep every millisecond reads jobs while workers finish them.
    const outcome = await runJobs(jobs, {
      connection,
      sweepMs: 1,
      onResult: (id, result) => void seen.push([id, result]),
    });
    assert.equal(outcome, "done");
    assert.deepEqual(
      seen.sort((a, b) => Number(a[0].slice(3)) - Number(b[0].slice(3))),
      jobs.map((job) => [job.id, { square: job.data ** 2 }]),
    );
    // Their records are gone from Redis once every result is in.
    assert.match(await redis.command("EXISTS", "bull:deno-mlops:sq-0"), /^:0/);
  } finally {
    stop.abort();
    await Promise.all(workers);
    await connection.close();
    await redis.stop();
  }
});

Deno.test({
  name: "runJobs() reports a job a worker refuses, with the worker's reason",
  ignore: missing !== null,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const redis = await startRedis();
  const connection = await QueueConnection.open(redis.url);
  const stop = new AbortController();
  const worker = serveJobs({ connection, handlers: {}, signal: stop.signal });
  try {
    await assert.rejects(
      runJobs([{ id: "x-1", name: "unknown-kind", data: null }], {
        connection,
        onResult: () => {},
      }),
      {
        name: "QueueError",
        message:
          /^Cannot run job "x-1" on the work queue: Refused by worker .*: no handler for jobs of kind "unknown-kind"/,
      },
    );
  } finally {
    stop.abort();
    await worker;
    await connection.close();
    await redis.stop();
  }
});
