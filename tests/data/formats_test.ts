import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import {
  dataFormatExtensions,
  dataFormatFor,
  dataFormatNames,
  dataSourceFor,
  detectFormat,
  fingerprintData,
  loadDataset,
  readBatches,
  registerDataFormat,
  registerDataSource,
  scanDataset,
} from "../../src/data/mod.ts";
import type { DataFile, RowBatch } from "../../src/data/mod.ts";
import { fingerprintFile } from "../../src/utils/mod.ts";
import { loadConfig } from "../../src/config/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

// ---------------------------------------------------------------- a tiny format, in the test

/** `.kv`: one record per line, `key=value` pairs separated by `;`. Every value is text. */
function kvRecords(file: DataFile): Record<string, string>[] {
  return Deno.readTextFileSync(file.path).split("\n").filter((line) => line.trim() !== "").map(
    (line) => Object.fromEntries(line.split(";").map((pair) => pair.split("=", 2))),
  );
}

function kvFrame(records: Record<string, string>[]) {
  const names = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return pl.DataFrame(
    Object.fromEntries(
      names.map((name) => [name, pl.Series(name, records.map((r) => r[name] ?? null), pl.Utf8)]),
    ),
  );
}

// The one registry line a new format needs.
registerDataFormat({
  name: "kv",
  extensions: [".kv"],
  read: (file) => kvFrame(kvRecords(file)),
  scan: async function* (file, options): AsyncGenerator<RowBatch> {
    const records = kvRecords(file);
    for (let at = 0; at < records.length; at += options.batchRows) {
      yield { frame: kvFrame(records.slice(at, at + options.batchRows)), firstRow: at + 1 };
    }
  },
});

async function kvFile(): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "formats-test-" });
  const path = join(dir, "birds.kv");
  await Deno.writeTextFile(
    path,
    "name=robin;mass=16.5;wild=true\nname=crow;mass=450;wild=true\nname=hen;mass=2000;wild=false\n",
  );
  return { dir, path };
}

// ---------------------------------------------------------------- tests

Deno.test("a format registered from a test loads, scans and streams through the normal functions", async () => {
  const { dir, path } = await kvFile();
  try {
    assert.equal(detectFormat(path), "kv");
    assert.equal(dataFormatFor("x.KV").name, "kv");
    assert.ok(dataFormatNames().includes("kv"));

    const frame = loadDataset(path, { columns: ["mass", "name"], dtypes: { mass: "float" } });
    assert.deepEqual(frame.columns, ["mass", "name"]);
    assert.deepEqual(frame.getColumn("mass").toArray(), [16.5, 450, 2000]);
    assert.equal(frame.getColumn("mass").dtype.variant, "Float64");

    const lazy = scanDataset(path, { dtypes: { wild: "bool" } });
    assert.deepEqual(lazy.collectSync().getColumn("wild").toArray(), [true, true, false]);

    const batches = [];
    for await (const batch of readBatches(path, { batchRows: 2 })) batches.push(batch);
    assert.deepEqual(batches.map((b) => [b.firstRow, b.frame.height]), [[1, 2], [3, 1]]);
    assert.deepEqual(batches[1]!.frame.getColumn("name").toArray(), ["hen"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the loader's strict checks apply to a registered format", async () => {
  const { dir, path } = await kvFile();
  try {
    assert.throws(() => loadDataset(path, { dtypes: { name: "float" } }), {
      name: "SchemaMismatchError",
      message: /column "name" has value "robin" at row 1 that does not convert to float/,
    });
    assert.throws(() => loadDataset(path, { columns: ["nmae"] }), {
      name: "SchemaMismatchError",
      message: /unknown column "nmae": did you mean "name"/,
    });
    const empty = join(dir, "empty.kv");
    await Deno.writeTextFile(empty, "\n");
    assert.throws(() => loadDataset(empty), {
      name: "ArtifactError",
      message: /the file holds no rows \(0 columns\)/,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unknown extension names the known ones; a duplicate name or extension is refused", () => {
  assert.throws(() => dataFormatFor("birds.xlsx"), {
    name: "ArtifactError",
    message: /unsupported file extension "\.xlsx" \(supported: \.csv, \.tsv, .*\.kv\)/,
  });
  assert.throws(() => loadDataset("birds.kv", { format: "kvv" }), {
    name: "ConfigError",
    message: /unknown format "kvv": did you mean "kv"/,
  });
  const noop = {
    read: () => pl.DataFrame({}),
    scan: async function* (): AsyncGenerator<RowBatch> {},
  };
  assert.throws(() => registerDataFormat({ name: "csv", extensions: [".csv2"], ...noop }), {
    name: "TypeError",
    message: /data format "csv": a format of that name is already registered/,
  });
  assert.throws(() => registerDataFormat({ name: "text", extensions: [".tsv"], ...noop }), {
    name: "TypeError",
    message: /extension "\.tsv" is already read as "tsv"/,
  });
  assert.throws(() => registerDataFormat({ name: "upper", extensions: ["KV"], ...noop }), {
    name: "TypeError",
    message: /extension "KV" is not lowercase with a leading dot/,
  });
  assert.equal(dataFormatExtensions().filter((e) => e === ".kv").length, 1);
});

Deno.test("data sources: plain paths are local, fingerprints match the file's, unknown schemes are refused", async () => {
  const { dir, path } = await kvFile();
  try {
    assert.equal(dataSourceFor(path).scheme, "file");
    assert.equal(dataSourceFor(`file://${path}`).localPath(`file://${path}`), path);
    const expected = await fingerprintFile(path);
    assert.deepEqual(await fingerprintData(path), expected);
    assert.throws(() => dataSourceFor("gs://bucket/birds.kv"), {
      name: "ArtifactError",
      message: /no data source serves "gs:\/\/".* \(known: "file", "s3"\)/,
    });
    assert.throws(() => loadDataset("gs://bucket/birds.kv"), { name: "ArtifactError" });
    assert.throws(
      () =>
        registerDataSource({
          scheme: "file",
          prepare: (l) => Promise.resolve(l),
          stat: () => null,
          localPath: (l) => l,
          stageWrite: () => Promise.reject(new Error("unused")),
          read: () => Promise.resolve(new Uint8Array()),
          fingerprint: () => Promise.reject(new Error("unused")),
        }),
      { name: "TypeError", message: /source for that scheme is already registered/ },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config names a registered format in data.format; an unknown name is refused with a hint when loading", async () => {
  const { dir, path } = await kvFile();
  try {
    const root = await makeTempProject();
    const { config } = await loadConfig({ root, overrides: ["data.format=kv"] });
    assert.equal(config.data.format, "kv");
    const copy = join(dir, "birds.txt");
    await Deno.copyFile(path, copy);
    const frame = loadDataset(copy, { format: config.data.format });
    assert.deepEqual(frame.getColumn("name").toArray(), ["robin", "crow", "hen"]);
    assert.throws(() => loadDataset(copy, { format: "kvv" }), {
      name: "ConfigError",
      message: /data\.format: unknown format "kvv": did you mean "kv"/,
    });
    await Deno.remove(root, { recursive: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
