import assert from "node:assert/strict";
import { pathExists } from "../../src/utils/mod.ts";

Deno.test("pathExists() tells files and folders from missing paths, and a dangling link by lstat only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "x");
    assert.equal(await pathExists(`${dir}/a.txt`), true);
    assert.equal(await pathExists(dir), true);
    assert.equal(await pathExists(`${dir}/missing`), false);
    await Deno.symlink(`${dir}/nowhere`, `${dir}/dangling`);
    assert.equal(await pathExists(`${dir}/dangling`), false);
    assert.equal(await pathExists(`${dir}/dangling`, { followLinks: false }), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
