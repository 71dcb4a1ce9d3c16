import assert from "node:assert/strict";
import { listDir, makeTempProject } from "../_helpers/project.ts";
import { runTask, TASKS } from "../_helpers/tasks.ts";

/** Tasks that reach endpoints the user names (the work queue's Redis): any host. */
const USER_ENDPOINTS = new Set(["tune", "predict", "worker"]);

/** Tasks that are tooling for developers, not the project's runtime. */
const TOOLING = new Set([
  "test",
  "check",
  "jupyter:install",
  "bench:serve",
  "bench:batching",
  "bench",
  "bench:predict",
  "bench:tune",
  "bench:queue",
  "bench:reliability",
  "bench:soak",
  "bench:storage",
  "bench:out-of-core",
  "bench:datasets",
  "bench:trees",
  "readme:figures",
  "kernels:build",
  "bench:kernels",
]);

Deno.test("every runtime task declares explicit permissions and never prompts", () => {
  for (const [name, task] of Object.entries(TASKS)) {
    if (TOOLING.has(name)) continue;
    const command = task.command;
    assert.doesNotMatch(command, /(^| )(-A|--allow-all)( |$)/, `${name} must not use -A`);
    assert.match(command, /--no-prompt/, `${name} must fail instead of prompting`);
    assert.match(command, /--allow-read=\. /, `${name} reads the project only`);
    assert.match(
      command,
      /--allow-ffi=node_modules /,
      `${name} may load native code from node_modules only`,
    );
    const writes = command.match(/--allow-write=(\S+)/)?.[1]?.split(",") ?? [];
    for (const folder of writes) {
      assert.ok(
        ["models", "data/processed", "data/raw", "notebooks/executed"].includes(folder) ||
          (name === "init" && folder === "config/profiles"),
        `${name}: ${folder}`,
      );
    }
    // A `:remote` task reaches the user's object store, whose host only the environment
    // (AWS_ENDPOINT_URL_S3) names; the queue tasks reach the Redis the user names; every other
    // task names its hosts.
    if (!name.endsWith(":remote") && !USER_ENDPOINTS.has(name)) {
      assert.doesNotMatch(
        command,
        /--allow-net(?!=)/,
        `${name}: network, if any, must name its hosts`,
      );
    }
  }
  // The work queue lies where the user says (--queue redis://HOST:PORT).
  for (const name of USER_ENDPOINTS) assert.match(TASKS[name]!.command, /--allow-net /, name);
  // A worker writes only the local copies of s3:// data it scores.
  assert.match(TASKS["worker"]!.command, /--allow-write=data\/processed /);
  // Runs under models/, the stage cache under data/processed/.
  assert.match(TASKS["train"]!.command, /--allow-write=models,data\/processed /);
  assert.match(TASKS["predict"]!.command, /--allow-write=data\/processed /);
  assert.doesNotMatch(TASKS["evaluate"]!.command, /--allow-write/);
  assert.doesNotMatch(TASKS["validate"]!.command, /--allow-write/);
  // init writes the profile it proposes, and nothing else.
  assert.match(TASKS["init"]!.command, /--allow-write=config\/profiles /);
});

Deno.test("train runs with its own permissions but cannot write outside models/ and its stage cache", async () => {
  const root = await makeTempProject();
  const outside = await Deno.makeTempDir({ prefix: "outside-" });
  const ok = await runTask("train", ["--set", "training.epochs=2"], root);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(listDir(`${root}/models/experiments`).length, 1);
  assert.deepEqual(listDir(`${root}/data/processed`), ["cache"]);
  assert.equal(listDir(`${root}/data/processed/cache`).length, 8);

  const denied = await runTask("train", [
    "--set",
    "training.epochs=1",
    "--set",
    `registry.experiments_dir=${outside}/runs`,
  ], root);
  assert.equal(denied.code, 1);
  assert.match(
    denied.stderr,
    /train: Cannot continue: Requires write access to ".*outside-.*\/runs"/,
  );
  assert.match(denied.stderr, /least privilege/);
  assert.deepEqual(listDir(outside), []);
});

Deno.test("predict writes under data/processed/ only and cannot read outside the project", async () => {
  const root = await makeTempProject();
  const outside = await Deno.makeTempDir({ prefix: "outside-" });
  const train = await runTask("train", ["--set", "training.epochs=2"], root);
  const id = train.stdout.match(/^run: (\S+)$/m)?.[1];
  assert.ok(id, train.stderr);

  const ok = await runTask("predict", [
    "--run",
    id,
    "--input",
    "data/raw/penguins.csv",
    "--on-error",
    "skip",
  ], root);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(listDir(`${root}/data/processed`), [
    "cache", // train's stage cache
    "penguins.predictions.csv",
    "penguins.predictions.rejected.csv",
  ]);

  const write = await runTask("predict", [
    "--run",
    id,
    "--input",
    "data/raw/penguins.csv",
    "--output",
    `${outside}/scored.csv`,
  ], root);
  assert.equal(write.code, 1);
  assert.match(write.stderr, /predict: Cannot continue: Requires write access/);
  assert.deepEqual(listDir(outside), []);

  await Deno.writeTextFile(`${outside}/in.csv`, "a\n1\n");
  const read = await runTask("predict", ["--run", id, "--input", `${outside}/in.csv`], root);
  assert.equal(read.code, 1);
  assert.match(read.stderr, /Requires read access/);
});

Deno.test("notebooks refuses an --out folder outside notebooks/executed/ before any notebook runs", async () => {
  const root = await makeTempProject();
  const outside = await Deno.makeTempDir({ prefix: "outside-" });
  for (const out of [`${outside}/executed`, "notebooks/other", "data/processed"]) {
    const denied = await runTask("notebooks", ["--out", out], root);
    assert.equal(denied.code, 2, denied.stderr);
    assert.ok(
      denied.stderr.includes(
        `notebooks: Cannot write executed notebooks to "${out}": the notebooks task may write only under notebooks/executed/`,
      ),
      denied.stderr,
    );
    assert.equal(denied.stdout, "", "no notebook started");
  }
  assert.deepEqual(listDir(outside), []);

  // A folder inside notebooks/executed/ passes the check (this project has no notebooks to run).
  const inside = await runTask("notebooks", ["--out", "notebooks/executed/mine"], root);
  assert.doesNotMatch(inside.stderr, /Cannot write executed notebooks/);
});

Deno.test("each :remote task is its base task plus network, the OS release and the data/processed cache", () => {
  const remote = Object.keys(TASKS).filter((name) => name.endsWith(":remote"));
  assert.deepEqual(remote.sort(), [
    "evaluate:remote",
    "promote:remote",
    "reproduce:remote",
    "rollback:remote",
    "runs:remote",
    "serve:remote",
    "train:remote",
  ]);
  const flags = (command: string) =>
    command.split(" ").filter((f) => !/^--allow-(net|write|sys)/.test(f)).join(" ");
  for (const name of remote) {
    const base = TASKS[name.replace(/:remote$/, "")]!.command;
    const command = TASKS[name]!.command;
    assert.equal(flags(command), flags(base), name);
    assert.match(command, / --allow-net /, name);
    // The AWS SDK reads the OS release for its user agent.
    assert.match(command, /--allow-sys=cpus,networkInterfaces,hostname,osRelease /, name);
    assert.match(command, /--allow-write=(\S+,)?data\/processed /, name);
  }
  // The queue tasks reach the network anyway, so they reach the object store as they are.
  for (const name of USER_ENDPOINTS) {
    const command = TASKS[name]!.command;
    assert.match(command, /--allow-sys=cpus,networkInterfaces,hostname,osRelease /, name);
    assert.match(command, /--allow-write=(\S+,)?data\/processed /, name);
  }
});
