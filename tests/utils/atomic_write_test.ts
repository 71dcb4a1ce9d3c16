import assert from "node:assert/strict";
import { writeFileAtomic } from "../../src/utils/mod.ts";

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
}

Deno.test("writeFileAtomic() writes and replaces a file, leaving no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/study.json`;
    await writeFileAtomic(path, "first\n");
    await writeFileAtomic(path, "second\n", { sync: true });
    assert.equal(await Deno.readTextFile(path), "second\n");
    await writeFileAtomic(`${dir}/bytes.bin`, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await Deno.readFile(`${dir}/bytes.bin`), new Uint8Array([1, 2, 3]));
    assert.deepEqual(names(dir), ["bytes.bin", "study.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() removes its temporary file and keeps the target when the rename fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A non-empty folder at the target path: the rename over it fails.
    await Deno.mkdir(`${dir}/target/inner`, { recursive: true });
    const seen: string[] = [];
    await assert.rejects(
      writeFileAtomic(`${dir}/target`, "text", {
        temporaryName: (name, token) => {
          const temporary = `${name}.partial-${token}`;
          seen.push(temporary);
          return temporary;
        },
      }),
    );
    assert.match(seen[0]!, /^target\.partial-[0-9a-f]{8}$/);
    assert.deepEqual(names(dir), ["target"]);
    assert.deepEqual(names(`${dir}/target`), ["inner"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
