/**
 * What crashed writers leave, and how the next start finds and removes it (issue #9): the
 * ownership lock of temporary files and folders, the registry's and the batch writer's cleaning,
 * the sealed `run.json` and `current.json`, and the promotion log completed from the pointer.
 */
import assert from "node:assert/strict";
import { openBatchWriter } from "../../src/data/mod.ts";
import {
  projectProductionDir,
  promoteRun,
  readProductionPointer,
  readPromotionLog,
  readRunFolder,
  writeRunFolder,
  writeRunRecord,
} from "../../src/models/mod.ts";
import type { RunRecord } from "../../src/models/mod.ts";
import { guardLeftover, leftoverReason, removeLeftovers } from "../../src/utils/mod.ts";
import pl from "nodejs-polars";
import { withCapturedLogs } from "../_helpers/logs.ts";
import { listDir } from "../_helpers/project.ts";

const OLD = new Date(Date.now() - 60_000);

function record(id: string): Omit<RunRecord, "artifacts"> {
  return {
    format_version: 1,
    id,
    created: "2026-11-27T07:45:12.000Z",
    project: "penguins",
    profile: null,
    task: "classification",
    family: "mlp",
    git: { commit: null, dirty: null },
    versions: {},
    seeds: { split: 42, training: 42 },
    config_hash: "ab".repeat(32),
    data: [],
    test_fingerprint: "cd".repeat(32),
    rows: { raw: 10, clean: 10, train: 6, val: 2, test: 2 },
    primary: { metric: "f1_macro", val: 0.9, test: 0.8 },
    stages: {},
  };
}

/** Writes a run folder with metrics good enough for the gate. */
async function fakeRun(dir: string, id: string, test: number): Promise<void> {
  await writeRunFolder(dir, record(id), async (d) => {
    const split = { f1_macro: test };
    await Deno.writeTextFile(
      `${d}/metrics.json`,
      JSON.stringify({
        primary_metric: "f1_macro",
        model: { train: split, val: split, test: split },
        baseline: { train: { f1_macro: 0.1 }, val: { f1_macro: 0.1 }, test: { f1_macro: 0.1 } },
      }),
    );
  });
}

Deno.test("removeLeftovers() removes what dead writers left and keeps what live writers hold or just made", async () => {
  const dir = await Deno.makeTempDir();
  for (const name of [".partial-dead", ".partial-live", ".partial-fresh", "keep"]) {
    await Deno.mkdir(`${dir}/${name}`);
  }
  const live = await guardLeftover(`${dir}/.partial-live`);
  try {
    for (const name of [".partial-dead", ".partial-live", "keep"]) {
      await Deno.utime(`${dir}/${name}`, OLD, OLD);
    }
    assert.match((await leftoverReason(`${dir}/.partial-dead`))!, /writer is gone/);
    assert.equal(await leftoverReason(`${dir}/.partial-live`), null);
    assert.equal(await leftoverReason(`${dir}/.partial-fresh`), null, "within the grace period");
    const removed = await removeLeftovers(dir, (name) => name.startsWith(".partial-"));
    assert.deepEqual(removed, [".partial-dead"]);
    assert.deepEqual(listDir(dir), [".partial-fresh", ".partial-live", "keep"]);
  } finally {
    live.close();
  }
  assert.deepEqual(await removeLeftovers(`${dir}/missing`, () => true), []);
});

Deno.test("guardLeftover() refuses a path another holder owns", async () => {
  const dir = await Deno.makeTempDir();
  const first = await guardLeftover(dir);
  try {
    await assert.rejects(() => guardLeftover(dir), { message: /another process holds its lock/ });
  } finally {
    first.close();
  }
});

Deno.test("writeRunFolder() removes partial run folders of dead writers before writing, with a warning", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/.partial-20260101-000000-p-aaaaaaaa-1234/model`, { recursive: true });
  await Deno.utime(`${dir}/.partial-20260101-000000-p-aaaaaaaa-1234`, OLD, OLD);
  await Deno.mkdir(`${dir}/.partial-20260101-000000-p-bbbbbbbb-5678`);
  await Deno.utime(`${dir}/.partial-20260101-000000-p-bbbbbbbb-5678`, OLD, OLD);
  const live = await guardLeftover(`${dir}/.partial-20260101-000000-p-bbbbbbbb-5678`);
  try {
    const logs = await withCapturedLogs(() =>
      writeRunFolder(dir, record("run-a"), (d) => Deno.writeTextFile(`${d}/x.json`, "{}"))
    );
    assert.deepEqual(listDir(dir), [".partial-20260101-000000-p-bbbbbbbb-5678", "run-a"]);
    assert.ok(
      logs.some((l) => l.level === "warning" && /left by an interrupted writer/.test(l.message)),
    );
  } finally {
    live.close();
  }
});

Deno.test("openBatchWriter() removes temporary outputs of dead jobs, never a live job's", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/.old.csv.partial-0badc0de`, "half");
  await Deno.utime(`${dir}/.old.csv.partial-0badc0de`, OLD, OLD);
  await Deno.writeTextFile(`${dir}/.other.txt.partial-nothex`, "not ours");
  await Deno.utime(`${dir}/.other.txt.partial-nothex`, OLD, OLD);
  const live = await openBatchWriter(`${dir}/live.csv`);
  const [liveTemporary] = listDir(dir).filter((n) => n.startsWith(".live.csv.partial-"));
  await Deno.utime(`${dir}/${liveTemporary}`, OLD, OLD);
  const next = await openBatchWriter(`${dir}/next.csv`);
  await next.write(pl.DataFrame({ a: [1, 2] }));
  await next.commit();
  await live.write(pl.DataFrame({ a: [3] }));
  await live.commit();
  assert.deepEqual(listDir(dir), [".other.txt.partial-nothex", "live.csv", "next.csv"]);
  assert.equal(await Deno.readTextFile(`${dir}/live.csv`), "a\n3.0\n");
});

Deno.test("run.json is sealed: a changed byte anywhere is found, an old unsealed record still opens", async () => {
  const dir = await Deno.makeTempDir();
  const { dir: runDir, record: written } = await writeRunFolder(
    dir,
    record("run-a"),
    (d) => Deno.writeTextFile(`${d}/metrics.json`, "{}"),
  );
  const text = await Deno.readTextFile(`${runDir}/run.json`);
  assert.match(text, /"self_sha256": "[0-9a-f]{64}"\n}\n$/);
  assert.deepEqual((await readRunFolder(dir, "run-a")).record, written);

  // A value changed inside a string still parses: only the seal can tell.
  await Deno.writeTextFile(`${runDir}/run.json`, text.replace('"penguins"', '"penguinz"'));
  await assert.rejects(() => readRunFolder(dir, "run-a"), {
    name: "ArtifactError",
    message: /run-a\/run\.json": self checksum sha256 .* does not match/,
  });
  // A damaged seal key is not taken for an old record.
  await Deno.writeTextFile(`${runDir}/run.json`, text.replace('"self_sha256"', '"self_sha257"'));
  await assert.rejects(() => readRunFolder(dir, "run-a"), { message: /unknown key "self_sha257"/ });
  // Records written before sealing open as before.
  await Deno.writeTextFile(`${runDir}/run.json`, JSON.stringify(written, null, 2));
  assert.deepEqual((await readRunFolder(dir, "run-a")).record, written);
  // writeRunRecord() reseals a record that was changed on purpose.
  await writeRunRecord(runDir, { ...written, project: "renamed" });
  assert.equal((await readRunFolder(dir, "run-a")).record.project, "renamed");
});

Deno.test("readRunFolder() names run.json when a run folder lost it", async () => {
  const dir = await Deno.makeTempDir();
  await writeRunFolder(dir, record("run-a"), (d) => Deno.writeTextFile(`${d}/m.json`, "{}"));
  await Deno.remove(`${dir}/run-a/run.json`);
  await assert.rejects(() => readRunFolder(dir, "run-a"), {
    name: "ArtifactError",
    message: /"[^"]*run-a\/run\.json" is missing, so the run cannot be verified/,
  });
});

Deno.test("current.json is sealed, a lost pointer is an error while the log records changes, and the log always ends with the pointer's change", async () => {
  const root = await Deno.makeTempDir();
  const registry = {
    experiments_dir: `${root}/experiments`,
    production_dir: `${root}/production`,
    primary_metric: "f1_macro",
    min_improvement: 0,
  };
  await fakeRun(registry.experiments_dir, "run-a", 0.8);
  await fakeRun(registry.experiments_dir, "run-b", 0.9);
  await withCapturedLogs(() => promoteRun(registry, "penguins", { runId: "run-a" }));
  const production = projectProductionDir(registry.production_dir, "penguins");
  const pointerPath = `${production}/current.json`;
  const text = await Deno.readTextFile(pointerPath);
  assert.match(text, /"self_sha256": "[0-9a-f]{64}"/);

  await Deno.writeTextFile(pointerPath, text.replace(/"promoted_at": "2/, '"promoted_at": "3'));
  await assert.rejects(
    () => readProductionPointer(production),
    {
      message: /current\.json": self checksum .* does not match/,
    },
  );
  await Deno.remove(pointerPath);
  await assert.rejects(
    () => readProductionPointer(production),
    {
      message: /current\.json": the file is missing but .*promotions\.jsonl" records 1 change/,
    },
  );
  await Deno.writeTextFile(pointerPath, text);

  // A promotion killed after the pointer swap but before its log line: simulate by removing the
  // last line. Readers still see the change; the next promotion writes the line.
  await withCapturedLogs(() => promoteRun(registry, "penguins", { runId: "run-b" }));
  const logPath = `${production}/promotions.jsonl`;
  const lines = (await Deno.readTextFile(logPath)).trim().split("\n");
  await Deno.writeTextFile(logPath, `${lines[0]}\n`);
  const read = await readPromotionLog(production);
  assert.deepEqual(read.map((e) => e.to), ["run-a", "run-b"]);
  const logs = await withCapturedLogs(() =>
    promoteRun(registry, "penguins", { runId: "run-a", force: true, reason: "back" })
  );
  assert.ok(logs.some((l) => /Completing the promotion log/.test(l.message)));
  const completed = (await Deno.readTextFile(logPath)).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(completed.map((e) => e.to), ["run-a", "run-b", "run-a"]);
});
