import assert from "node:assert/strict";
import { listDir, makeTempProject, REPO_ROOT } from "../_helpers/project.ts";

interface TaskDefinition {
  command: string;
}
const TASKS: Record<string, TaskDefinition> = JSON.parse(
  await Deno.readTextFile(`${REPO_ROOT}/deno.json`),
).tasks;

/** Tasks that are tooling for developers, not the project's runtime. */
const TOOLING = new Set(["test", "check", "jupyter:install", "bench:serve", "bench:predict"]);

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
        ["models", "data/processed", "data/raw", "notebooks/executed"].includes(folder),
        `${name}: ${folder}`,
      );
    }
    assert.doesNotMatch(
      command,
      /--allow-net(?!=)/,
      `${name}: network, if any, must name its hosts`,
    );
  }
  assert.match(TASKS["train"]!.command, /--allow-write=models /);
  assert.match(TASKS["predict"]!.command, /--allow-write=data\/processed /);
  assert.doesNotMatch(TASKS["evaluate"]!.command, /--allow-write/);
  assert.doesNotMatch(TASKS["validate"]!.command, /--allow-write/);
});

/**
 * Runs a task with exactly its declared permissions, in a temporary project: relative paths in
 * the permission flags are resolved against that project, and the repository's node_modules is
 * added to the read and ffi lists (the temporary project has none of its own).
 */
async function runTask(name: string, args: string[], root: string) {
  const parts = TASKS[name]!.command.split(" ").slice(2); // drop "deno run"
  const resolved = parts.map((part) => {
    const match = part.match(/^--allow-(read|write|ffi)=(.+)$/);
    if (!match) return part;
    const paths = match[2]!.split(",").map((p) => (p === "." ? root : `${root}/${p}`));
    if (match[1] === "read" || match[1] === "ffi") paths.push(`${REPO_ROOT}/node_modules`);
    if (match[1] === "read") {
      paths.push(`${REPO_ROOT}/src`, `${REPO_ROOT}/deno.json`, `${REPO_ROOT}/deno.lock`);
    }
    return `--allow-${match[1]}=${paths.join(",")}`;
  }).map((part) => part.startsWith("src/cli/") ? `${REPO_ROOT}/${part}` : part);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", `--config=${REPO_ROOT}/deno.json`, ...parts.length ? resolved : [], ...args],
    cwd: root,
    env: { NO_COLOR: "1", CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

Deno.test("train runs with its own permissions but cannot write outside models/", async () => {
  const root = await makeTempProject();
  const outside = await Deno.makeTempDir({ prefix: "outside-" });
  const ok = await runTask("train", ["--set", "training.epochs=2"], root);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(listDir(`${root}/models/experiments`).length, 1);

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
