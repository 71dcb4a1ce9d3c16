import assert from "node:assert/strict";
import {
  dataSourceFor,
  ensureLocalData,
  fingerprintData,
  loadDataset,
  readBatches,
  stageOutput,
} from "../../src/data/mod.ts";
import { openObjectStore, readObjectText } from "../../src/storage/mod.ts";
import { fingerprintFile } from "../../src/utils/mod.ts";
import { S3_TEST, withS3 } from "../_helpers/s3_fixture.ts";

const PENGUINS = "data/raw/penguins.csv";

Deno.test({
  name:
    "an s3:// data path is fetched once, fingerprinted like the local file, and refetched when it changes",
  ...S3_TEST,
  fn: () =>
    withS3(async ({ proxy, cache }) => {
      const store = openObjectStore();
      const url = "s3://data/raw/penguins.csv";
      await store.upload(url, PENGUINS);
      const local = await fingerprintFile(PENGUINS);
      assert.deepEqual(await fingerprintData(url), { ...local, path: url });
      const path = await ensureLocalData(url);
      assert.equal(path, `${cache}/data/raw/penguins.csv`);
      assert.equal(dataSourceFor(url).localPath(url), path);
      const frame = loadDataset(url);
      assert.equal(frame.height, 344);
      const gets = () => proxy.requests.filter((r) => r.startsWith("GET /data/raw/")).length;
      assert.equal(gets(), 1); // the fingerprint downloaded it; prepare reused the copy
      let rows = 0;
      await ensureLocalData(url);
      for await (const batch of readBatches(url, { batchRows: 100 })) rows += batch.frame.height;
      assert.equal(rows, 344);
      assert.equal(gets(), 1);
      // A new object (new ETag) replaces the cached copy.
      const text = await Deno.readTextFile(PENGUINS);
      const fewer = text.split("\n").slice(0, 11).join("\n") + "\n";
      await store.put(url, fewer);
      await ensureLocalData(url);
      assert.equal(gets(), 2);
      assert.equal(loadDataset(url).height, 10);
      assert.equal((await fingerprintData(url)).bytes, new TextEncoder().encode(fewer).length);
    }),
});

Deno.test({
  name: "a missing s3:// object and an unfetched one are refused with the fix",
  ...S3_TEST,
  fn: () =>
    withS3(async () => {
      await assert.rejects(() => ensureLocalData("s3://data/nope.csv"), {
        name: "ArtifactError",
        message:
          /Cannot read "s3:\/\/data\/nope.csv": the object does not exist; check the bucket and key/,
      });
      assert.throws(() => loadDataset("s3://data/later.csv"), {
        name: "ArtifactError",
        message:
          /before it is fetched: call `await ensureLocalData\("s3:\/\/data\/later.csv"\)` first/,
      });
      await assert.rejects(() => ensureLocalData("s3://data/folder/"), {
        name: "ArtifactError",
        message: /it names a prefix, not an object/,
      });
    }),
});

Deno.test({
  name: "an s3:// output appears only when published; a discarded or failed one leaves no object",
  ...S3_TEST,
  fn: () =>
    withS3(async ({ proxy }) => {
      const store = openObjectStore();
      const out = await stageOutput("s3://data/out/scored.csv");
      assert.match(out.path, /scored\.csv$/);
      await Deno.writeTextFile(out.path, "id,prediction\n1,Adelie\n");
      assert.equal(await store.head("s3://data/out/scored.csv"), null);
      await out.publish();
      assert.equal(
        (await readObjectText(store, "s3://data/out/scored.csv"))?.text,
        "id,prediction\n1,Adelie\n",
      );
      await assert.rejects(() => Deno.stat(out.path), Deno.errors.NotFound);

      const dropped = await stageOutput("s3://data/out/dropped.csv");
      await Deno.writeTextFile(dropped.path, "x\n");
      await dropped.discard();
      assert.equal(await store.head("s3://data/out/dropped.csv"), null);

      const failing = await stageOutput("s3://data/out/failing.csv");
      await Deno.writeTextFile(failing.path, "x\n");
      proxy.setFaults([{ at: proxy.requests.length + 1, times: 9, kind: "status", status: 503 }]);
      await assert.rejects(() => failing.publish(), {
        name: "StorageError",
        message: /Cannot put "s3:\/\/data\/out\/failing.csv": .*answered 503/,
      });
      proxy.setFaults([]);
      assert.equal(await store.head("s3://data/out/failing.csv"), null);
    }),
});
