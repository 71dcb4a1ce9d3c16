import assert from "node:assert/strict";
import { EXIT_USAGE } from "../../src/cli/_task.ts";
import { makeTempProject, runCli } from "../_helpers/project.ts";

/** Every task entry file of src/cli/, with the name its messages start with. */
const TASKS = [...Deno.readDirSync(new URL("../../src/cli/", import.meta.url))]
  .map((entry) => entry.name)
  .filter((name) => name.endsWith(".ts") && !name.startsWith("_"))
  .sort()
  .map((file) => ({ file, task: file.replace(/\.ts$/, "").replace("_", ":") }));

Deno.test("every task exits with the usage status 2 for an unknown option, before doing any work", async () => {
  assert.ok(TASKS.length >= 19, TASKS.map((t) => t.file).join(", "));
  const root = await Deno.makeTempDir();
  try {
    // Four at a time: each is a deno process.
    const results: { task: string; result: Awaited<ReturnType<typeof runCli>> }[] = [];
    for (let i = 0; i < TASKS.length; i += 4) {
      results.push(
        ...await Promise.all(
          TASKS.slice(i, i + 4).map(async ({ file, task }) => ({
            task,
            result: await runCli(file, ["--no-such-option"], root),
          })),
        ),
      );
    }
    for (const { task, result } of results) {
      assert.equal(result.code, EXIT_USAGE, `${task}: ${result.stderr}`);
      // The last line: deno may first say it waits for the node_modules lock.
      assert.equal(
        result.stderr.trimEnd().split("\n").at(-1),
        `${task}: Cannot parse arguments: unknown option "--no-such-option", run with --help to see the options`,
      );
    }
    // Nothing was written: the arguments are checked first.
    assert.deepEqual([...Deno.readDirSync(root)], []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a bad argument exits 2 and a bad config value exits 1, for init and validate as for train", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cases: [string, string][] = [
      ["init.ts", "--data"],
      ["validate.ts", "--set"],
      ["train.ts", "--set"],
    ];
    for (const [file, option] of cases) {
      const missing = await runCli(file, [option], root);
      assert.equal(missing.code, EXIT_USAGE, `${file}: ${missing.stderr}`);
      assert.match(missing.stderr, new RegExp(`Cannot parse arguments: "${option}" needs a value`));
    }
    const extra = await runCli("validate.ts", ["a.csv"], root);
    assert.equal(extra.code, EXIT_USAGE, extra.stderr);
    assert.match(extra.stderr, /expected at most 0 positional arguments, got 1 \("a\.csv"\)/);
    const project = await makeTempProject();
    try {
      const badValue = await runCli("train.ts", ["--set", "training.epochs=ten"], project);
      assert.equal(badValue.code, 1, badValue.stderr);
      assert.match(badValue.stderr, /^train: Cannot load config.*training\.epochs/s);
    } finally {
      await Deno.remove(project, { recursive: true });
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
