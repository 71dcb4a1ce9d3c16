/** Tests of the work-queue URL and of the checks a worker makes on a job. */
import assert from "node:assert/strict";
import { parseQueueUrl, redactQueueUrl } from "../../src/queue/mod.ts";
import { QUEUE_PROTOCOL_VERSION, queueCodeVersion } from "../../src/pipelines/mod.ts";
import { checkJobCode, checkJobData } from "../../src/pipelines/queue_jobs.ts";
import { fingerprintFile } from "../../src/utils/mod.ts";

Deno.test("parseQueueUrl() takes host, port, database and password from a redis:// URL", () => {
  assert.deepEqual(parseQueueUrl("redis://127.0.0.1:6390/2"), {
    url: "redis://127.0.0.1:6390/2",
    shown: "redis://127.0.0.1:6390/2",
    host: "127.0.0.1",
    port: 6390,
    db: 2,
    password: null,
  });
  assert.deepEqual(parseQueueUrl("redis://:s3cret@queue.internal"), {
    url: "redis://:s3cret@queue.internal",
    shown: "redis://:***@queue.internal",
    host: "queue.internal",
    port: 6379,
    db: 0,
    password: "s3cret",
  });
  assert.equal(redactQueueUrl("redis://user:pw@h:1/0"), "redis://user:***@h:1/0");
});

Deno.test("parseQueueUrl() refuses other schemes, bad databases and non-URLs with the expected form", () => {
  for (
    const [url, fragment] of [
      ["http://127.0.0.1:6379", /scheme "http:" is not redis:/],
      ["redis://127.0.0.1:6379/x", /database "x" is not a number from 0 to 15/],
      ["redis://127.0.0.1:6379/16", /database "16"/],
      ["127.0.0.1:6379", /not a URL|scheme/],
      ["redis://:pw@h:1/0?x=1", /query and fragment/],
    ] as const
  ) {
    assert.throws(() => parseQueueUrl(url), {
      name: "QueueError",
      message: new RegExp(`${fragment.source}.*expected redis://HOST:PORT`),
    });
  }
  assert.throws(() => parseQueueUrl("redis://:pw@h:1/99"), (error: Error) => {
    assert.doesNotMatch(error.message, /pw/);
    return true;
  });
});

Deno.test("checkJobCode() refuses a job of another code version or protocol, naming both", async () => {
  const mine = await queueCodeVersion();
  assert.match(mine, /^[0-9a-f]{64}$/);
  checkJobCode({ protocol: QUEUE_PROTOCOL_VERSION, code_version: mine }, mine);
  assert.throws(
    () => checkJobCode({ protocol: QUEUE_PROTOCOL_VERSION, code_version: "a".repeat(64) }, mine),
    {
      name: "QueueError",
      message: new RegExp(
        `^Refused by worker .*: the job was made by code version aaaaaaaaaaaa and this worker runs ${
          mine.slice(0, 12)
        }, so its results would differ`,
      ),
    },
  );
  assert.throws(
    () => checkJobCode({ protocol: QUEUE_PROTOCOL_VERSION + 1, code_version: mine }, mine),
    { message: /the job has protocol 2, this worker speaks 1/ },
  );
});

Deno.test("checkJobData() refuses a trial whose data differs here or is missing", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/data.csv`;
  await Deno.writeTextFile(path, "a,b\n1,2\n");
  const { sha256, bytes } = await fingerprintFile(path);
  await checkJobData({ path, sha256, bytes });
  await assert.rejects(checkJobData({ path, sha256: "b".repeat(64), bytes }), {
    message: new RegExp(
      `its data ".*data.csv" has sha256 ${
        sha256.slice(0, 12)
      } \\(8 bytes\\) here, the study's has bbbbbbbbbbbb \\(8 bytes\\); give every machine the same data file`,
    ),
  });
  // A changed file is fingerprinted again, not taken from the last check.
  await Deno.writeTextFile(path, "a,b\n1,30\n");
  await assert.rejects(checkJobData({ path, sha256, bytes }), { message: /has sha256/ });
  await assert.rejects(checkJobData({ path: `${dir}/gone.csv`, sha256, bytes }), {
    message: /cannot read the study's data ".*gone.csv" here .*give this worker the same data/,
  });
});
