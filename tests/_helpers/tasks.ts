/**
 * Runs `deno task` commands with exactly the permissions `deno.json` declares for them, inside a
 * temporary project: to prove what a task may and may not do, and to kill real task processes.
 *
 * @module
 */
import { REPO_ROOT } from "./project.ts";

/** A task of `deno.json`. */
export interface TaskDefinition {
  /** The command line, e.g. `deno run --no-prompt --allow-read=. ... src/cli/train.ts`. */
  command: string;
  /** What it does. */
  description?: string;
}

/** The tasks of the repository's `deno.json`, by name. */
export const TASKS: Readonly<Record<string, TaskDefinition>> = JSON.parse(
  await Deno.readTextFile(`${REPO_ROOT}/deno.json`),
).tasks;

/** The output of a finished task. */
export interface TaskOutput {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/**
 * Returns the `deno` arguments that run task `name` with its declared permissions in `root`:
 * relative paths in the permission flags are resolved against `root`, and the repository's
 * `node_modules`, `src`, `deno.json` and `deno.lock` are added to the read list (and
 * `node_modules` to the ffi list), since the temporary project has none of its own.
 *
 * @param name the task name, e.g. `"train"`
 * @param args the task's own arguments
 * @param root the temporary project
 * @returns the arguments for `Deno.execPath()`
 * @throws {TypeError} when the task does not exist or is not a `deno run` task
 * @example
 * ```ts
 * new Deno.Command(Deno.execPath(), { args: taskArgs("train", ["--set", "training.epochs=2"], root), cwd: root });
 * ```
 */
export function taskArgs(name: string, args: readonly string[], root: string): string[] {
  const task = TASKS[name];
  if (task === undefined || !task.command.startsWith("deno run ")) {
    throw new TypeError(`Cannot run task "${name}": deno.json has no "deno run" task of that name`);
  }
  const parts = task.command.split(" ").slice(2); // drop "deno run"
  const resolved = parts.map((part) => {
    const match = part.match(/^--allow-(read|write|ffi)=(.+)$/);
    if (!match) return part;
    const paths = match[2]!.split(",").map((p) => (p === "." ? root : `${root}/${p}`));
    if (match[1] === "read" || match[1] === "ffi") paths.push(`${REPO_ROOT}/node_modules`);
    if (match[1] === "read") {
      paths.push(`${REPO_ROOT}/src`, `${REPO_ROOT}/deno.json`, `${REPO_ROOT}/deno.lock`);
    }
    return `--allow-${match[1]}=${paths.join(",")}`;
  }).map((part) => part.startsWith("src/") ? `${REPO_ROOT}/${part}` : part);
  return ["run", `--config=${REPO_ROOT}/deno.json`, ...resolved, ...args];
}

/**
 * Runs task `name` with exactly its declared permissions in `root` and waits for it.
 *
 * @param name the task name
 * @param args its arguments
 * @param root the temporary project
 * @returns exit code, stdout and stderr
 * @example
 * ```ts
 * const { code, stdout } = await runTask("train", ["--set", "training.epochs=2"], root);
 * ```
 */
export async function runTask(
  name: string,
  args: readonly string[],
  root: string,
): Promise<TaskOutput> {
  return await runDeno(taskArgs(name, args, root), root);
}

/**
 * Runs a script with the exact permission flags of task `name` (resolved as by
 * {@link taskArgs}) in place of the task's entry file: a probe that shows what the task's
 * sandbox allows.
 *
 * @param name the task whose permissions apply
 * @param script the probe script's path
 * @param root the temporary project
 * @returns exit code, stdout and stderr
 * @example
 * ```ts
 * const probe = await runWithTaskPermissions("serve", "/tmp/probe.ts", root);
 * ```
 */
export async function runWithTaskPermissions(
  name: string,
  script: string,
  root: string,
): Promise<TaskOutput> {
  const args = taskArgs(name, [], root);
  const entry = args.findIndex((part) => part.startsWith(`${REPO_ROOT}/src/`));
  if (entry < 0) throw new TypeError(`Cannot find the entry file of task "${name}"`);
  args[entry] = script;
  return await runDeno(args, root);
}

/** Runs `deno <args>` in `root` without colours, as CI does, and collects its output. */
async function runDeno(args: readonly string[], root: string): Promise<TaskOutput> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd: root,
    env: { NO_COLOR: "1", CI: "true" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}
