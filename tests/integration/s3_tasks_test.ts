import assert from "node:assert/strict";
import { openObjectStore } from "../../src/storage/mod.ts";
import { listDir, makeTempProject } from "../_helpers/project.ts";
import { S3_TEST, withS3 } from "../_helpers/s3_fixture.ts";
import { withEnv } from "../_helpers/s3_server.ts";
import { runTask } from "../_helpers/tasks.ts";

const S3_SET = [
  "--set",
  "data.path=s3://data/raw/penguins.csv",
  "--set",
  "registry.experiments_dir=s3://models/experiments",
  "--set",
  "registry.production_dir=s3://models/production",
];

Deno.test({
  name:
    "train, promote, runs and rollback :remote tasks work with exactly their permissions against an S3 server",
  ...S3_TEST,
  fn: () =>
    withS3(async () => {
      const root = await makeTempProject();
      await openObjectStore().upload(
        "s3://data/raw/penguins.csv",
        `${root}/data/raw/penguins.csv`,
      );
      // The tasks keep their cache in the project's data/processed/remote, where they may write.
      await withEnv({ DENO_MLOPS_S3_CACHE: undefined }, async () => {
        const trained = await runTask(
          "train:remote",
          [...S3_SET, "--set", "training.epochs=2"],
          root,
        );
        assert.equal(trained.code, 0, trained.stderr);
        const ids = (await openObjectStore().list("s3://models/experiments/"))
          .filter((o) => o.url.endsWith("/run.json"))
          .map((o) => o.url.split("/").at(-2)!);
        assert.equal(ids.length, 1);
        assert.deepEqual(listDir(`${root}/models/experiments`), []);
        const promoted = await runTask("promote:remote", [...S3_SET, "--run", ids[0]!], root);
        assert.equal(promoted.code, 0, promoted.stderr);
        assert.notEqual(
          await openObjectStore().head("s3://models/production/penguins/current.json"),
          null,
        );
        const listed = await runTask("runs:remote", S3_SET, root);
        assert.equal(listed.code, 0, listed.stderr);
        assert.match(listed.stdout, new RegExp(`\\* ${ids[0]}`));
        const back = await runTask("rollback:remote", S3_SET, root);
        assert.equal(back.code, 1);
        assert.match(back.stderr, /no earlier promoted run is recorded/);
        // The offline task refuses the network with its own message.
        const offline = await runTask("promote", [...S3_SET, "--run", ids[0]!], root);
        assert.equal(offline.code, 1);
        assert.match(
          offline.stderr,
          /Cannot reach the object store at "127.0.0.1:\d+": this process has no network access to it .*run the task's :remote variant, e.g. `deno task promote:remote`/,
        );
      });
      await Deno.remove(root, { recursive: true });
    }),
});
