import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { openBatchWriter, readBatches } from "../../src/data/batches.ts";

async function collect(path: string, batchRows: number) {
  const out = [];
  for await (const batch of readBatches(path, { batchRows })) {
    out.push({ firstRow: batch.firstRow, rows: batch.frame.height, frame: batch.frame });
  }
  return out;
}

Deno.test("readBatches() streams a CSV in bounded batches of string columns", async () => {
  const batches = await collect("data/raw/penguins.csv", 100);
  assert.deepEqual(batches.map((b) => [b.firstRow, b.rows]), [[1, 100], [101, 100], [201, 100], [
    301,
    44,
  ]]);
  const first = batches[0]!.frame;
  assert.deepEqual(first.columns, [
    "Species",
    "Island",
    "Beak Length (mm)",
    "Beak Depth (mm)",
    "Flipper Length (mm)",
    "Body Mass (g)",
    "Sex",
  ]);
  assert.ok(first.columns.every((c) => first.getColumn(c).dtype.variant === "String"));
  assert.deepEqual(first.row(3), ["Adelie", "Torgersen", null, null, null, null, null]);
});

Deno.test("readBatches() keeps quoted line breaks and commas inside their field", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/q.csv`, 'id,text\n1,"a, b"\n2,"line\nbreak"\n3,plain\n');
  const [batch] = await collect(`${dir}/q.csv`, 10);
  assert.deepEqual(batch!.frame.getColumn("text").toArray(), ["a, b", "line\nbreak", "plain"]);
});

Deno.test("readBatches() reads the loader's separator, quote, encoding and null markers", async () => {
  const dir = await Deno.makeTempDir();
  // ";" separates, "'" quotes (a quoted field holds ";" and a line break), "NA" and "?" are null.
  await Deno.writeTextFile(
    `${dir}/semi.csv`,
    "id;text;x\n1;'a; b';NA\n2;'line\nbreak';2.5\n3;plain;?\n4;\"q\";1\n",
  );
  const data = { separator: ";", quote: "'", null_markers: ["NA", "?"] };
  const rows = [];
  for await (const batch of readBatches(`${dir}/semi.csv`, { batchRows: 3, data })) {
    rows.push(...batch.frame.rows());
  }
  assert.deepEqual(rows, [
    ["1", "a; b", null],
    ["2", "line\nbreak", "2.5"],
    ["3", "plain", null],
    ["4", '"q"', "1"],
  ]);
  // Read with the format's own dialect, the header is one column: the error names the option.
  await Deno.writeTextFile(`${dir}/plain.csv`, "id;x\n1;2\n3;4\n");
  await assert.rejects(() => collect(`${dir}/plain.csv`, 10), {
    name: "ArtifactError",
    message: /splits into 2 columns at ";"; set data\.separator: ";"/,
  });

  // Latin-1 text is decoded as the loader decodes it; strict UTF-8 refuses its bytes.
  const latin = new Uint8Array([
    ...new TextEncoder().encode("name,x\n"),
    0x4d,
    0xfc,
    0x6c,
    0x6c,
    0x65,
    0x72,
    0x2c,
    0x31,
    0x0a,
  ]);
  await Deno.writeFile(`${dir}/latin.csv`, latin);
  const read = [];
  for await (const batch of readBatches(`${dir}/latin.csv`, { data: { encoding: "latin1" } })) {
    read.push(...batch.frame.getColumn("name").toArray());
  }
  assert.deepEqual(read, ["Müller"]);
  await assert.rejects(() => collect(`${dir}/latin.csv`, 10), {
    name: "ArtifactError",
    message: /not valid UTF-8 text .*set data\.encoding to "utf8-lossy" or "latin1"/,
  });
  const lossy = [];
  for await (const b of readBatches(`${dir}/latin.csv`, { data: { encoding: "utf8-lossy" } })) {
    lossy.push(...b.frame.getColumn("name").toArray());
  }
  assert.deepEqual(lossy, ["M\ufffdller"]);

  // Formats that do not read the options ignore them: a run's CSV dialect scores NDJSON too.
  await Deno.writeTextFile(`${dir}/rows.ndjson`, '{"id":"1","x":"NA"}\n');
  const ndjson = [];
  for await (const batch of readBatches(`${dir}/rows.ndjson`, { data })) {
    ndjson.push(...batch.frame.rows());
  }
  assert.deepEqual(ndjson, [["1", "NA"]]);
});

Deno.test("readBatches() reads NDJSON, Parquet and JSON arrays in batches", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a.ndjson`, '{"x":1,"y":"a"}\n{"x":2.5,"y":null}\n\n{"x":"3"}\n');
  const nd = await collect(`${dir}/a.ndjson`, 2);
  assert.deepEqual(nd.map((b) => [b.firstRow, b.rows]), [[1, 2], [3, 1]]);
  assert.deepEqual(nd[0]!.frame.getColumn("x").toArray(), ["1", "2.5"]);
  pl.DataFrame({ x: Array.from({ length: 25 }, (_, i) => i) }).writeParquet(`${dir}/a.parquet`);
  const pq = await collect(`${dir}/a.parquet`, 10);
  assert.deepEqual(pq.map((b) => [b.firstRow, b.rows]), [[1, 10], [11, 10], [21, 5]]);
  assert.equal(pq[2]!.frame.getColumn("x").toArray()[0], 20);
  await Deno.writeTextFile(`${dir}/a.json`, '[{"x":1},{"x":2},{"x":3}]');
  const js = await collect(`${dir}/a.json`, 2);
  assert.deepEqual(js.map((b) => [b.firstRow, b.rows]), [[1, 2], [3, 1]]);
});

Deno.test("readBatches() reports missing, empty, header-only and malformed input", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(() => collect(`${dir}/none.csv`, 10), {
    name: "ArtifactError",
    message: /does not exist/,
  });
  await Deno.writeTextFile(`${dir}/empty.csv`, "");
  await assert.rejects(() => collect(`${dir}/empty.csv`, 10), {
    name: "ArtifactError",
    message: /no data rows/,
  });
  await Deno.writeTextFile(`${dir}/header.csv`, "a,b\n");
  await assert.rejects(() => collect(`${dir}/header.csv`, 10), {
    name: "ArtifactError",
    message: /header but no data rows/,
  });
  await Deno.writeTextFile(`${dir}/bad.ndjson`, '{"x":1}\n{"x":\n');
  await assert.rejects(() => collect(`${dir}/bad.ndjson`, 10), {
    name: "ArtifactError",
    message: /line 2: it is not valid JSON/,
  });
  await Deno.writeTextFile(`${dir}/x.xlsx`, "x");
  await assert.rejects(() => collect(`${dir}/x.xlsx`, 10), { name: "ArtifactError" });
});

Deno.test("openBatchWriter() writes every format and renames only on commit", async () => {
  const dir = await Deno.makeTempDir();
  const parts = [
    pl.DataFrame({ id: ["a", "b"], p: [0.5, 1] }),
    pl.DataFrame({ id: ["c"], p: [2] }),
  ];
  for (const ext of ["csv", "ndjson", "json", "parquet"]) {
    const path = `${dir}/out.${ext}`;
    const writer = await openBatchWriter(path);
    for (const part of parts) await writer.write(part);
    assert.deepEqual(Deno.readDirSync(dir).toArray().filter((e) => e.name === `out.${ext}`), []);
    await writer.commit();
    const back = ext === "csv"
      ? pl.readCSV(path)
      : ext === "parquet"
      ? pl.readParquet(path)
      : ext === "json"
      ? pl.readRecords(JSON.parse(await Deno.readTextFile(path)))
      : pl.readRecords(
        (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l)),
      );
    assert.deepEqual(back.getColumn("id").toArray(), ["a", "b", "c"], ext);
    assert.deepEqual(back.getColumn("p").toArray(), [0.5, 1, 2], ext);
  }
  assert.deepEqual(Deno.readDirSync(dir).toArray().map((e) => e.name).sort(), [
    "out.csv",
    "out.json",
    "out.ndjson",
    "out.parquet",
  ]);
});

Deno.test("openBatchWriter().abort() leaves neither the output nor a temporary file", async () => {
  const dir = await Deno.makeTempDir();
  const writer = await openBatchWriter(`${dir}/out.csv`);
  await writer.write(pl.DataFrame({ a: [1] }));
  await writer.abort();
  assert.deepEqual(Deno.readDirSync(dir).toArray(), []);
});
