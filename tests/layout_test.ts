import assert from "node:assert/strict";
import { REPO_ROOT } from "./_helpers/project.ts";

async function git(...args: string[]): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command("git", {
    args,
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout).trim() };
}

const KEPT = ["models/README.md", "data/processed/README.md"];

Deno.test("models/ and data/processed/ exist in a fresh clone, each with a README", async () => {
  for (const path of KEPT) {
    const text = await Deno.readTextFile(`${REPO_ROOT}/${path}`);
    assert.match(text, /^# (models|data\/processed) — /, path);
  }
  const inside = await git("rev-parse", "--is-inside-work-tree");
  if (inside.stdout !== "true") return; // an exported copy: nothing more to check
  // Not ignored, so `git add` picks them up and a clone has the folders.
  const ignored = await git("check-ignore", ...KEPT);
  assert.equal(ignored.stdout, "", "the READMEs must not be ignored");
});

Deno.test("generated runs, production and processed data stay out of git", async () => {
  const inside = await git("rev-parse", "--is-inside-work-tree");
  if (inside.stdout !== "true") return;
  const generated = [
    "models/experiments/20261127-080008-penguins-c8f4d419/run.json",
    "models/production/current.json",
    "models/runs.html",
    "data/processed/cache/abc/frame.parquet",
    "data/processed/scored.csv",
  ];
  const ignored = await git("check-ignore", ...generated);
  assert.deepEqual(ignored.stdout.split("\n"), generated);
});
