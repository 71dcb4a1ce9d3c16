/**
 * The shared frame of every task entry file: run the body, print known errors without a stack
 * trace and exit with a status code.
 *
 * @module
 */
import { MlopsError, UsageError } from "../errors.ts";

/** Exit status for a failed task. */
export const EXIT_FAILURE = 1;
/** Exit status for a usage error (unknown flag, missing argument). */
export const EXIT_USAGE = 2;

/**
 * Runs a task body; prints a project error's message ({@link MlopsError}, no stack) on stderr and exits non-zero.
 *
 * The body may return an exit code; it defaults to 0.
 *
 * @param name the task name, shown before error messages
 * @param body the task's work
 * @example
 * ```ts
 * await runTask("validate", async () => { ...; return ok ? 0 : 1; });
 * ```
 */
export async function runTask(name: string, body: () => Promise<number | void>): Promise<never> {
  let code: number;
  try {
    code = (await body()) ?? 0;
  } catch (error) {
    const report = describeTaskError(name, error);
    for (const line of report.lines) console.error(line);
    code = report.code;
  }
  Deno.exit(code);
}

/** What a task prints on stderr for an error, and the exit status it ends with. */
export interface TaskErrorReport {
  /** The values to print, one `console.error` call each. */
  lines: unknown[];
  /** {@link EXIT_USAGE} for a {@link UsageError}, {@link EXIT_FAILURE} otherwise. */
  code: number;
}

/**
 * Decides how a task reports `error`: a project error ({@link MlopsError}) or a permission
 * error prints one line without a stack; anything else is a bug and prints its stack.
 *
 * @param name the task name, shown before the message
 * @param error what the task body threw
 * @returns the lines to print and the exit status
 * @example
 * ```ts
 * describeTaskError("train", new ConfigError("Cannot read config ...")); // { lines: ["train: Cannot read config ..."], code: 1 }
 * ```
 */
export function describeTaskError(name: string, error: unknown): TaskErrorReport {
  const denied = permissionError(error);
  if (denied) {
    const what = denied.message.replace(/, run again with.*$/, "");
    const entry = `src/cli/${name.replace(":", "_")}.ts`;
    return {
      lines: [
        `${name}: Cannot continue: ${what}; the task runs with least privilege (see "Permissions" in README.md): keep its files in the folders it may use, or run ${entry} with deno run and your own --allow-* flags`,
      ],
      code: EXIT_FAILURE,
    };
  }
  if (error instanceof MlopsError) {
    const fix = error.fix === undefined || error.message.includes(error.fix)
      ? ""
      : `; ${error.fix}`;
    return {
      lines: [`${name}: ${error.message}${fix}`],
      code: error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE,
    };
  }
  return { lines: [`${name}: unexpected error`, error], code: EXIT_FAILURE };
}

/** The permission error behind `error` (itself or a wrapped cause), if any. */
function permissionError(error: unknown): Error | null {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) return e;
  }
  return null;
}
