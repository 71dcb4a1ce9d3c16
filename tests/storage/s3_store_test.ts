import assert from "node:assert/strict";
import {
  downloadObject,
  openObjectStore,
  readObjectText,
  readS3Settings,
  sha256File,
} from "../../src/storage/mod.ts";
import { S3_TEST, withS3 } from "../_helpers/s3_fixture.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test({
  name: "S3ObjectStore puts, heads, streams, lists and deletes objects on a local S3 server",
  ...S3_TEST,
  fn: () =>
    withS3(async () => {
      const store = openObjectStore();
      const put = await store.put("s3://data/a/one.txt", "hello");
      assert.equal(put.etag, '"5d41402abc4b2a76b9719d911017c592"'); // md5("hello")
      await store.put("s3://data/a/two.txt", new Uint8Array([1, 2, 3]));
      await store.put("s3://data/b.txt", "other");
      assert.deepEqual(await store.head("s3://data/a/one.txt"), {
        url: "s3://data/a/one.txt",
        etag: put.etag,
        bytes: 5,
      });
      assert.equal(await store.head("s3://data/a/missing.txt"), null);
      assert.equal(await store.get("s3://data/a/missing.txt"), null);
      const got = await store.get("s3://data/a/one.txt");
      assert.equal(text(new Uint8Array(await new Response(got!.body).arrayBuffer())), "hello");
      assert.deepEqual(
        (await store.list("s3://data/a/")).map((o) => [o.url, o.bytes]),
        [["s3://data/a/one.txt", 5], ["s3://data/a/two.txt", 3]],
      );
      await store.delete("s3://data/a/one.txt");
      await store.delete("s3://data/a/one.txt"); // a missing object deletes fine
      assert.deepEqual((await store.list("s3://data/a/")).map((o) => o.url), [
        "s3://data/a/two.txt",
      ]);
      assert.equal((await readObjectText(store, "s3://data/b.txt"))?.text, "other");
      await assert.rejects(() => store.get("s3://nobucket/x"), {
        name: "StorageError",
        message: /Cannot get "s3:\/\/nobucket\/x": the bucket does not exist; create the bucket/,
      });
    }),
});

Deno.test({
  name:
    "put() with If-None-Match or If-Match is refused with StoragePreconditionError, object unchanged",
  ...S3_TEST,
  fn: () =>
    withS3(async () => {
      const store = openObjectStore();
      const first = await store.put("s3://models/p.json", "one", { ifNoneMatch: true });
      await assert.rejects(() => store.put("s3://models/p.json", "two", { ifNoneMatch: true }), {
        name: "StoragePreconditionError",
        message: /Cannot put "s3:\/\/models\/p.json": its write condition does not hold/,
      });
      const second = await store.put("s3://models/p.json", "three", { ifMatch: first.etag });
      await assert.rejects(() => store.put("s3://models/p.json", "four", { ifMatch: first.etag }), {
        name: "StoragePreconditionError",
      });
      assert.equal((await readObjectText(store, "s3://models/p.json"))?.text, "three");
      // Two writers with the same ETag: exactly one wins.
      const race = await Promise.allSettled(
        ["A", "B", "C"].map((v) => store.put("s3://models/p.json", v, { ifMatch: second.etag })),
      );
      assert.equal(race.filter((r) => r.status === "fulfilled").length, 1);
      const winner = ["A", "B", "C"][race.findIndex((r) => r.status === "fulfilled")];
      assert.equal((await readObjectText(store, "s3://models/p.json"))?.text, winner);
    }),
});

Deno.test({
  name:
    "upload() sends a large file in parts; a failing part aborts the upload and leaves no object",
  ...S3_TEST,
  fn: () =>
    withS3(async ({ proxy, tmp }) => {
      const store = openObjectStore();
      const path = `${tmp}/big.bin`;
      const bytes = new Uint8Array(11 * 1024 * 1024).map((_, i) => (i * 31) % 251);
      await Deno.writeFile(path, bytes);
      const options = { multipartThreshold: 1024, partBytes: 5 * 1024 * 1024 };
      // The second part fails on every attempt.
      proxy.setFaults([{
        at: 2,
        times: 10,
        kind: "status",
        status: 500,
        only: /^PUT .*partNumber/,
      }]);
      await assert.rejects(() => store.upload("s3://data/big.bin", path, options), {
        name: "StorageError",
        message: /Cannot upload "s3:\/\/data\/big.bin": .* answered 500 .* after 2 attempt/,
      });
      assert.deepEqual(proxy.aborted, ["/data/big.bin"]);
      assert.equal(await store.head("s3://data/big.bin"), null);
      proxy.setFaults([]);
      const done = await store.upload("s3://data/big.bin", path, options);
      assert.equal(done.bytes, bytes.byteLength);
      const parts = proxy.requests.filter((r) => /^PUT \/data\/big.bin\?.*partNumber/.test(r));
      assert.ok(parts.length >= 3, parts.join("\n"));
      const got = await downloadObject(store, "s3://data/big.bin", `${tmp}/back.bin`);
      assert.deepEqual(got?.sha256, (await sha256File(path)).sha256);
      assert.equal(got?.bytes, bytes.byteLength);
    }),
});

Deno.test({
  name:
    "a 503 on every attempt or a hang past the timeout fails with StorageError; one 503 is retried",
  ...S3_TEST,
  fn: () =>
    withS3(async ({ proxy }) => {
      const store = openObjectStore();
      await store.put("s3://data/x.txt", "x");
      proxy.setFaults([{ at: proxy.requests.length + 1, times: 1, kind: "status", status: 503 }]);
      assert.equal((await store.head("s3://data/x.txt"))?.bytes, 1);
      proxy.setFaults([{ at: proxy.requests.length + 1, times: 9, kind: "status", status: 503 }]);
      await assert.rejects(() => store.put("s3://data/y.txt", "y"), {
        name: "StorageError",
        message: /answered 503 .*after 2 attempt\(s\); retry later; nothing was published/,
      });
      proxy.setFaults([{ at: proxy.requests.length + 1, times: 9, kind: "hang" }]);
      const started = performance.now();
      await assert.rejects(() => store.put("s3://data/y.txt", "y"), {
        name: "StorageError",
        message: /did not answer within 300 ms/,
      });
      assert.ok(performance.now() - started < 5000);
      proxy.setFaults([]);
      assert.equal(await store.head("s3://data/y.txt"), null);
    }, { timeoutMs: 300 }),
});

Deno.test("readS3Settings() names the missing credentials and sets path style for a custom endpoint", () => {
  assert.throws(() => readS3Settings({ AWS_ACCESS_KEY_ID: "a" }), {
    name: "ConfigError",
    message:
      /Cannot reach the object store: AWS_SECRET_ACCESS_KEY is not set; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
  });
  assert.throws(() => readS3Settings({}), {
    message: /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set/,
  });
  const aws = readS3Settings({ AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" });
  assert.deepEqual([aws.endpoint, aws.region, aws.forcePathStyle], [null, "us-east-1", false]);
  const minio = readS3Settings({
    AWS_ACCESS_KEY_ID: "a",
    AWS_SECRET_ACCESS_KEY: "b",
    AWS_SESSION_TOKEN: "t",
    AWS_DEFAULT_REGION: "eu-west-1",
    AWS_ENDPOINT_URL: "http://127.0.0.1:9000/",
    AWS_MAX_ATTEMPTS: "5",
  });
  assert.deepEqual(
    [minio.endpoint, minio.region, minio.forcePathStyle, minio.maxAttempts],
    ["http://127.0.0.1:9000", "eu-west-1", true, 5],
  );
  assert.equal(minio.credentials.sessionToken, "t");
  assert.throws(
    () =>
      readS3Settings({ AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", AWS_MAX_ATTEMPTS: "0" }),
    { name: "ConfigError", message: /AWS_MAX_ATTEMPTS: expected a positive integer, found "0"/ },
  );
});
