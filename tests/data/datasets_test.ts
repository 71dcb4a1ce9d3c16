import assert from "node:assert/strict";
import { pullDatasets, readManifest } from "../../src/data/mod.ts";
import type { DatasetManifest } from "../../src/data/mod.ts";
import { sha256Hex } from "../../src/utils/mod.ts";

async function makeSource(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pull-source-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

async function entry(name: string, text: string) {
  return { name, sha256: await sha256Hex(text), bytes: new TextEncoder().encode(text).byteLength };
}

Deno.test("pullDatasets() copies every manifest file and verifies shipped files", async () => {
  const sourceDir = await makeSource({ "a.csv": "x\n1\n", "b.json": "[]" });
  const targetDir = await Deno.makeTempDir({ prefix: "pull-target-" });
  await Deno.writeTextFile(`${targetDir}/kept.csv`, "k\n2\n");
  const manifest: DatasetManifest = {
    package: "pkg",
    version: "1.0.0",
    files: [await entry("a.csv", "x\n1\n"), await entry("b.json", "[]")],
    shipped: [await entry("kept.csv", "k\n2\n")],
  };
  const first = await pullDatasets({ sourceDir, targetDir, manifest });
  assert.deepEqual(first.map((r) => [r.name, r.status]), [
    ["a.csv", "copied"],
    ["b.json", "copied"],
    ["kept.csv", "verified"],
  ]);
  assert.equal(await Deno.readTextFile(`${targetDir}/a.csv`), "x\n1\n");
  const second = await pullDatasets({ sourceDir, targetDir, manifest });
  assert.deepEqual(second.map((r) => r.status), ["present", "present", "verified"]);
});

Deno.test("pullDatasets() refuses a file whose sha256 differs and writes nothing for it", async () => {
  const sourceDir = await makeSource({ "a.csv": "tampered\n" });
  const targetDir = await Deno.makeTempDir({ prefix: "pull-target-" });
  const manifest: DatasetManifest = {
    package: "pkg",
    version: "1.0.0",
    files: [await entry("a.csv", "x\n1\n")],
    shipped: [],
  };
  await assert.rejects(() => pullDatasets({ sourceDir, targetDir, manifest }), {
    name: "ArtifactError",
    message: /pkg@1\.0\.0\/data\/a\.csv.*does not match the manifest/,
  });
  assert.deepEqual([...Deno.readDirSync(targetDir)], []);
});

Deno.test("pullDatasets() names the missing source and the install fix", async () => {
  const sourceDir = await makeSource({});
  const targetDir = await Deno.makeTempDir({ prefix: "pull-target-" });
  const manifest: DatasetManifest = {
    package: "pkg",
    version: "1.0.0",
    files: [await entry("a.csv", "x\n")],
    shipped: [],
  };
  await assert.rejects(() => pullDatasets({ sourceDir, targetDir, manifest }), {
    name: "ArtifactError",
    message: /a\.csv.*cannot be read; run `deno install`/,
  });
});

Deno.test("pullDatasets() reports a missing shipped file", async () => {
  const sourceDir = await makeSource({});
  const targetDir = await Deno.makeTempDir({ prefix: "pull-target-" });
  const manifest: DatasetManifest = {
    package: "pkg",
    version: "1.0.0",
    files: [],
    shipped: [await entry("penguins.csv", "x\n")],
  };
  await assert.rejects(() => pullDatasets({ sourceDir, targetDir, manifest }), {
    name: "ArtifactError",
    message: /penguins\.csv": the file is missing/,
  });
});

Deno.test("readManifest() rejects a manifest with a path in a file name", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/m.json`,
    JSON.stringify({
      package: "p",
      version: "1",
      files: [{ name: "../x", sha256: "a".repeat(64), bytes: 1 }],
      shipped: [],
    }),
  );
  await assert.rejects(() => readManifest(`${dir}/m.json`), {
    name: "ArtifactError",
    message: /plain file names/,
  });
});

Deno.test("the committed manifest matches the shipped penguins.csv", async () => {
  const manifest = await readManifest("data/manifest.json");
  const shipped = manifest.shipped.find((e) => e.name === "penguins.csv");
  assert.ok(shipped);
  const bytes = await Deno.readFile("data/raw/penguins.csv");
  assert.equal(await sha256Hex(bytes), shipped.sha256);
  assert.equal(bytes.byteLength, shipped.bytes);
});

Deno.test("pullDatasets() refuses an edited pulled file, as it refuses an edited shipped one", async () => {
  const sourceDir = await makeSource({ "cars.json": "[1]", "b.json": "[]" });
  const targetDir = await Deno.makeTempDir({ prefix: "pull-target-" });
  await Deno.writeTextFile(`${targetDir}/cars.json`, "[1, 2]");
  const manifest: DatasetManifest = {
    package: "pkg",
    version: "1.0.0",
    files: [await entry("b.json", "[]"), await entry("cars.json", "[1]")],
    shipped: [],
  };
  await assert.rejects(() => pullDatasets({ sourceDir, targetDir, manifest }), {
    name: "ArtifactError",
    message:
      /^Cannot pull datasets: 1 file\(s\) .* differ from the manifest and may hold your edits: ".*\/cars\.json" has sha256 [0-9a-f]{64} \(6 bytes\), expected .* \(3 bytes\); move them away, or run `deno task data:pull --force`/,
  });
  assert.equal(await Deno.readTextFile(`${targetDir}/cars.json`), "[1, 2]", "the edit is kept");
  assert.deepEqual([...Deno.readDirSync(targetDir)].map((e) => e.name), ["cars.json"]);

  const forced = await pullDatasets({ sourceDir, targetDir, manifest, overwrite: true });
  assert.deepEqual(forced.map((r) => [r.name, r.status]), [
    ["b.json", "copied"],
    ["cars.json", "replaced"],
  ]);
  assert.equal(await Deno.readTextFile(`${targetDir}/cars.json`), "[1]");
});
