/**
 * `reloadSrc()` keeps module state in the process, so each scenario runs in its own `deno`
 * process, on a copy of `src/` in a temporary folder that the scenario may edit freely.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Copies `src/` into a new temporary folder and returns the folder. */
async function copySrc(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "deno-mlops-reload-test-" });
  async function copy(from: string, to: string): Promise<void> {
    await Deno.mkdir(to, { recursive: true });
    for await (const entry of Deno.readDir(from)) {
      if (entry.isDirectory) await copy(join(from, entry.name), join(to, entry.name));
      else if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
    }
  }
  await copy(join(ROOT, "src"), join(dir, "src"));
  return dir;
}

/** Runs `script` (a module that imports `RELOAD`, the copy's reload.ts) and returns its JSON. */
async function runScenario(dir: string, script: string): Promise<Record<string, unknown>> {
  const reload = pathToFileURL(join(dir, "src", "notebook", "reload.ts")).href;
  const file = join(dir, "scenario.ts");
  await Deno.writeTextFile(file, script.replaceAll("RELOAD", reload));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", join(ROOT, "deno.json"), file],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.ok(
    output.success,
    `the scenario failed:\n${stdout}\n${new TextDecoder().decode(output.stderr)}`,
  );
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

Deno.test("reloadSrc() re-imports src/ from a fresh copy after an edit, and only then", async () => {
  const dir = await copySrc();
  try {
    const theme = join(dir, "src", "viz", "theme.ts");
    const result = await runScenario(
      dir,
      `
      import { reloadInfo, reloadSrc } from "RELOAD";
      const theme = ${JSON.stringify(theme)};
      const first = await reloadSrc();
      const firstInfo = reloadInfo();
      const again = await reloadSrc();
      const source = await Deno.readTextFile(theme);
      await Deno.writeTextFile(theme, source.replace('PRIMARY = "#0072B2"', 'PRIMARY = "#123456"'));
      const edited = await reloadSrc();
      const editedInfo = reloadInfo();
      let copyRemoved = false;
      try { Deno.statSync(editedInfo.copyDir); } catch { copyRemoved = true; }
      const forced = await reloadSrc({ force: true });
      const forcedInfo = reloadInfo();
      console.log(JSON.stringify({
        first: first.PRIMARY,
        firstInfo,
        sameWhenUnchanged: again === first,
        edited: edited.PRIMARY,
        firstAfterEdit: first.PRIMARY,
        editedIsNew: edited !== first,
        editedGeneration: editedInfo.generation,
        copyRemoved,
        copyIsOutsideSrc: !editedInfo.copyDir.startsWith(${JSON.stringify(join(dir, "src"))}),
        forcedIsNew: forced !== edited,
        forcedGeneration: forcedInfo.generation,
        fingerprintChanged: editedInfo.fingerprint !== firstInfo.fingerprint,
      }));
      `,
    );
    assert.deepEqual(result, {
      first: "#0072B2",
      firstInfo: {
        srcDir: join(dir, "src"),
        generation: 0,
        copyDir: null,
        fingerprint: (result["firstInfo"] as { fingerprint: string }).fingerprint,
      },
      sameWhenUnchanged: true,
      edited: "#123456",
      firstAfterEdit: "#0072B2",
      editedIsNew: true,
      editedGeneration: 1,
      copyRemoved: true,
      copyIsOutsideSrc: true,
      forcedIsNew: true,
      forcedGeneration: 2,
      fingerprintChanged: true,
    });
    assert.match((result["firstInfo"] as { fingerprint: string }).fingerprint, /^[0-9a-f]{64}$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reloadSrc() keeps the loaded library when an edited file does not compile", async () => {
  const dir = await copySrc();
  try {
    const theme = join(dir, "src", "viz", "theme.ts");
    const result = await runScenario(
      dir,
      `
      import { reloadInfo, reloadSrc } from "RELOAD";
      const theme = ${JSON.stringify(theme)};
      const first = await reloadSrc();
      const source = await Deno.readTextFile(theme);
      await Deno.writeTextFile(theme, source + "\\nexport const broken = ;\\n");
      let error = null;
      try { await reloadSrc(); } catch (e) { error = { name: e.name, message: String(e.message) }; }
      const afterError = reloadInfo();
      const unchanged = await reloadSrc().catch(() => null);
      await Deno.writeTextFile(theme, source.replace('PRIMARY = "#0072B2"', 'PRIMARY = "#654321"'));
      const fixed = await reloadSrc();
      console.log(JSON.stringify({
        error,
        generationAfterError: afterError.generation,
        copyAfterError: afterError.copyDir,
        fixed: fixed.PRIMARY,
        first: first.PRIMARY,
        fixedGeneration: reloadInfo().generation,
        retriedWhileBroken: unchanged === null,
      }));
      `,
    );
    const error = result["error"] as { name: string; message: string };
    assert.equal(error.name, "TypeError");
    assert.match(error.message, /^Cannot reload ".*": SyntaxError: Expression expected/);
    assert.ok(
      error.message.includes(`${pathToFileURL(join(dir, "src", "viz", "theme.ts")).href}:`),
      `the message should name the edited file, not its copy: ${error.message}`,
    );
    assert.deepEqual({ ...result, error: null }, {
      error: null,
      generationAfterError: 0,
      copyAfterError: null,
      fixed: "#654321",
      first: "#0072B2",
      fixedGeneration: 1,
      retriedWhileBroken: true,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
