/**
 * The shared frame of every task entry file: run the body, print known errors without a stack
 * trace and exit with a status code.
 *
 * @module
 */
import {
  ArtifactError,
  ConfigError,
  DataValidationError,
  NotFittedError,
  SchemaMismatchError,
} from "../errors.ts";

/** Exit status for a failed task. */
export const EXIT_FAILURE = 1;
/** Exit status for a usage error (unknown flag, missing argument). */
export const EXIT_USAGE = 2;

/** Thrown by task bodies for command-line usage mistakes; exits with status 2. */
export class UsageError extends Error {
  /** @param message what is wrong with the command line and how to call it */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const KNOWN_ERRORS = [
  ArtifactError,
  ConfigError,
  DataValidationError,
  NotFittedError,
  SchemaMismatchError,
  UsageError,
];

/**
 * Runs a task body; prints a known error's message (no stack) on stderr and exits non-zero.
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
    const denied = permissionError(error);
    if (denied) {
      const what = denied.message.replace(/, run again with.*$/, "");
      const entry = `src/cli/${name.replace(":", "_")}.ts`;
      console.error(
        `${name}: Cannot continue: ${what}; the task runs with least privilege (see "Permissions" in README.md): keep its files in the folders it may use, or run ${entry} with deno run and your own --allow-* flags`,
      );
      code = EXIT_FAILURE;
    } else if (KNOWN_ERRORS.some((kind) => error instanceof kind) || isNamedKnown(error)) {
      console.error(`${name}: ${(error as Error).message}`);
      code = error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
    } else {
      console.error(`${name}: unexpected error`);
      console.error(error);
      code = EXIT_FAILURE;
    }
  }
  Deno.exit(code);
}

function isNamedKnown(error: unknown): boolean {
  // Typed errors defined next to their module (e.g. TrainingDivergedError) are known too.
  return error instanceof Error && /Error$/.test(error.name) &&
    !["Error", "TypeError", "RangeError", "ReferenceError", "SyntaxError"].includes(error.name);
}

/** The permission error behind `error` (itself or a wrapped cause), if any. */
function permissionError(error: unknown): Error | null {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) return e;
  }
  return null;
}
