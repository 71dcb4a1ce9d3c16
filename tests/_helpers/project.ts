/**
 * Temporary copies of the project for tests that run pipelines and tasks: the real config files,
 * profiles and penguins data in a fresh folder, so runs are written there and nothing in the repo
 * changes.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/**
 * Creates a temporary project holding `deno.json`, `config/` (the base files and every profile in
 * `config/profiles/`, penguins being the default) and `data/raw/penguins.csv`.
 *
 * @param files extra files to write, by path relative to the new root
 * @returns the new root
 */
export async function makeTempProject(files: Record<string, string> = {}): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "deno-mlops-project-" });
  await Deno.writeTextFile(`${root}/deno.json`, "{}\n");
  await Deno.mkdir(`${root}/config/profiles`, { recursive: true });
  await Deno.mkdir(`${root}/data/raw`, { recursive: true });
  for (const name of ["config.yaml", "model_config.yaml", "logging_config.yaml"]) {
    await Deno.copyFile(`${REPO_ROOT}/config/${name}`, `${root}/config/${name}`);
  }
  for (const entry of Deno.readDirSync(`${REPO_ROOT}/config/profiles`)) {
    if (!entry.isFile || !entry.name.endsWith(".yaml")) continue;
    await Deno.copyFile(
      `${REPO_ROOT}/config/profiles/${entry.name}`,
      `${root}/config/profiles/${entry.name}`,
    );
  }
  await Deno.copyFile(`${REPO_ROOT}/data/raw/penguins.csv`, `${root}/data/raw/penguins.csv`);
  for (const [path, text] of Object.entries(files)) {
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    if (dir) await Deno.mkdir(`${root}/${dir}`, { recursive: true });
    await Deno.writeTextFile(`${root}/${path}`, text);
  }
  return root;
}

/**
 * Runs a task entry file of `src/cli/` as a subprocess in `cwd`.
 *
 * @param file the entry file name, e.g. `"train.ts"`
 * @param args its arguments
 * @param cwd the working directory (a temporary project)
 * @returns exit code, stdout and stderr
 */
export async function runCli(
  file: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--config=${REPO_ROOT}/deno.json`, `${REPO_ROOT}/src/cli/${file}`, ...args],
    cwd,
    env: { NO_COLOR: "1", CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Lists the entries of a folder, or an empty list when it does not exist.
 *
 * @param dir the folder
 * @returns entry names, sorted
 */
export function listDir(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}
