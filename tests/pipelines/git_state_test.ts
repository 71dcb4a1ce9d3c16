import assert from "node:assert/strict";
import { gitState } from "../../src/pipelines/nodes/mod.ts";

async function git(root: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

async function committedProject(): Promise<string> {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/config/profiles`, { recursive: true });
  await Deno.writeTextFile(`${root}/config/config.yaml`, "project: {name: p}\n");
  await Deno.writeTextFile(`${root}/.gitignore`, "data/raw/*\n");
  await git(root, "init", "-q");
  await git(root, "add", ".");
  await git(root, "commit", "-q", "-m", "init");
  return root;
}

Deno.test("gitState() marks a run dirty when it read an untracked profile file", async () => {
  const root = await committedProject();
  try {
    await Deno.writeTextFile(`${root}/config/profiles/mine.yaml`, "training: {epochs: 3}\n");
    const files = ["config/config.yaml", "config/profiles/mine.yaml"];
    const state = await gitState(root, files);
    assert.match(state.commit ?? "", /^[0-9a-f]{40}$/);
    assert.equal(state.dirty, true);
    // The same untracked file is not counted when the run did not read it.
    assert.deepEqual(await gitState(root, ["config/config.yaml"]), {
      commit: state.commit,
      dirty: false,
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("gitState() counts a modified tracked file and ignores ignored data", async () => {
  const root = await committedProject();
  try {
    await Deno.mkdir(`${root}/data/raw`, { recursive: true });
    await Deno.writeTextFile(`${root}/data/raw/cars.json`, "[]\n");
    const files = ["config/config.yaml", "data/raw/cars.json", "../outside.yaml"];
    assert.equal((await gitState(root, files)).dirty, false);
    await Deno.writeTextFile(`${root}/config/config.yaml`, "project: {name: q}\n");
    assert.equal((await gitState(root, files)).dirty, true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("gitState() records null for a project outside a git repository", async () => {
  const root = await Deno.makeTempDir();
  try {
    assert.deepEqual(await gitState(root, ["config/config.yaml"]), { commit: null, dirty: null });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
