import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  canonicalJson,
  fingerprintFile,
  fingerprintFrame,
  hashJson,
  sha256Hex,
} from "../../src/utils/mod.ts";

Deno.test("sha256Hex() matches the FIPS 180-2 test vector", async () => {
  assert.equal(
    await sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("fingerprintFile() hashes bytes and reports the size; a missing file is an ArtifactError", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a.txt`, "abc");
  assert.deepEqual(await fingerprintFile(`${dir}/a.txt`), {
    path: `${dir}/a.txt`,
    sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    bytes: 3,
  });
  await assert.rejects(() => fingerprintFile(`${dir}/missing.txt`), {
    name: "ArtifactError",
    message: /missing\.txt/,
  });
});

Deno.test("canonicalJson() and hashJson() ignore key order", async () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } }),
    '{"a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1}',
  );
  assert.equal(await hashJson({ a: 1, b: 2 }), await hashJson({ b: 2, a: 1 }));
  assert.notEqual(await hashJson({ a: 1 }), await hashJson({ a: 2 }));
});

Deno.test("fingerprintFrame() is stable and sees values, nulls, names and types", async () => {
  const base = pl.DataFrame({ a: [1.5, null, 3], b: ["x", "y", null] });
  const same = pl.DataFrame({ a: [1.5, null, 3], b: ["x", "y", null] });
  const fingerprint = await fingerprintFrame(base);
  assert.equal(await fingerprintFrame(same), fingerprint);
  assert.notEqual(
    await fingerprintFrame(pl.DataFrame({ a: [1.5, 2, 3], b: ["x", "y", null] })),
    fingerprint,
  );
  assert.notEqual(await fingerprintFrame(base.rename({ a: "c" })), fingerprint);
  assert.notEqual(
    await fingerprintFrame(base.withColumns(pl.col("a").cast(pl.Float32))),
    fingerprint,
  );
});
