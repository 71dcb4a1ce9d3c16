import assert from "node:assert/strict";
import {
  assertRunId,
  createRunId,
  listRunIds,
  openRun,
  writeRunFolder,
} from "../../src/models/registry.ts";
import type { RunRecord } from "../../src/models/registry.ts";

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

Deno.test("createRunId() joins the UTC time, the project and the hash prefix", () => {
  assert.equal(
    createRunId(new Date("2026-11-27T07:45:12Z"), "Palmer Penguins!", "1a2b3c4d99"),
    "20261127-074512-palmer-penguins-1a2b3c4d",
  );
});

Deno.test("assertRunId() refuses ids that could escape the experiments folder", () => {
  for (const bad of ["../x", "a/b", "/etc", ".hidden", "", "a\\b", "x..y"]) {
    assert.throws(() => assertRunId(bad), {
      name: "ArtifactError",
      message: /a run id holds only/,
    });
  }
  assert.equal(
    assertRunId("20261127-074512-penguins-1a2b3c4d"),
    "20261127-074512-penguins-1a2b3c4d",
  );
});

Deno.test("writeRunFolder() records artifact checksums and renames into place", async () => {
  const dir = await Deno.makeTempDir();
  const { dir: runDir, record: written } = await writeRunFolder(dir, record("run-a"), async (d) => {
    await Deno.writeTextFile(`${d}/metrics.json`, "{}");
    await Deno.mkdir(`${d}/model`);
    await Deno.writeTextFile(`${d}/model/model.json`, "[]");
  });
  assert.equal(runDir, `${dir}/run-a`);
  assert.deepEqual(Object.keys(written.artifacts), ["metrics.json", "model/model.json"]);
  assert.equal(
    written.artifacts["metrics.json"],
    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  );
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["run-a"]);
  const opened = await openRun(dir, "run-a");
  assert.deepEqual(opened.record, written);
});

Deno.test("writeRunFolder() leaves nothing behind when writing fails", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    () =>
      writeRunFolder(dir, record("run-b"), async (d) => {
        await Deno.writeTextFile(`${d}/metrics.json`, "{}");
        throw new Error("disk full");
      }),
    { name: "ArtifactError", message: /Cannot write run "run-b".*disk full/ },
  );
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  assert.deepEqual(await listRunIds(dir), []);
});

Deno.test("writeRunFolder() never overwrites an existing run with the same id", async () => {
  const dir = await Deno.makeTempDir();
  const write = (d: string) => Deno.writeTextFile(`${d}/a.txt`, "x");
  await writeRunFolder(dir, record("same"), write);
  const second = await writeRunFolder(dir, record("same"), write);
  assert.equal(second.record.id, "same-2");
  assert.deepEqual(await listRunIds(dir), ["same-2", "same"]);
});

Deno.test("listRunIds() ignores partial folders and lists newest first", async () => {
  const dir = await Deno.makeTempDir();
  const write = (d: string) => Deno.writeTextFile(`${d}/a.txt`, "x");
  await writeRunFolder(dir, record("20260101-000000-p-aaaaaaaa"), write);
  await writeRunFolder(dir, record("20260102-000000-p-aaaaaaaa"), write);
  await Deno.mkdir(`${dir}/.partial-20260103-000000-p-aaaaaaaa-1234`);
  assert.deepEqual(await listRunIds(dir), [
    "20260102-000000-p-aaaaaaaa",
    "20260101-000000-p-aaaaaaaa",
  ]);
  assert.deepEqual(await listRunIds(`${dir}/missing`), []);
});

Deno.test("openRun() names an unknown run and the closest existing id", async () => {
  const dir = await Deno.makeTempDir();
  await writeRunFolder(
    dir,
    record("20260101-000000-p-aaaaaaaa"),
    (d) => Deno.writeTextFile(`${d}/a`, ""),
  );
  await assert.rejects(() => openRun(dir, "20260101-000000-p-aaaaaaab"), {
    name: "ArtifactError",
    message: /does not exist \(did you mean "20260101-000000-p-aaaaaaaa"/,
  });
  const empty = await Deno.makeTempDir();
  await assert.rejects(() => openRun(empty, "nope"), {
    name: "ArtifactError",
    message: /no runs exist yet; train one with `deno task train`/,
  });
});

Deno.test("openRun() detects a changed or deleted artifact and names the file", async () => {
  const dir = await Deno.makeTempDir();
  await writeRunFolder(dir, record("run-c"), async (d) => {
    await Deno.writeTextFile(`${d}/features.json`, '{"a":1}');
    await Deno.writeTextFile(`${d}/schema.json`, "{}");
  });
  await Deno.writeTextFile(`${dir}/run-c/features.json`, '{"a":2}');
  await assert.rejects(() => openRun(dir, "run-c"), {
    name: "ArtifactError",
    message: /run-c\/features\.json": sha256 .* does not match/,
  });
  await Deno.remove(`${dir}/run-c/schema.json`);
  await Deno.writeTextFile(`${dir}/run-c/features.json`, '{"a":1}');
  await assert.rejects(() => openRun(dir, "run-c"), {
    name: "ArtifactError",
    message: /run-c\/schema\.json": the file is missing/,
  });
});
