/**
 * Starts `deno task serve` as a real child process with exactly the permissions `deno.json`
 * declares for it, on a free loopback port of a temporary project, for reliability tests and the
 * soak benchmark.
 *
 * @module
 */
import { taskArgs } from "./tasks.ts";

/** A running service. */
export interface Service {
  /** The process. */
  child: Deno.ChildProcess;
  /** Its base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Everything it printed on stdout so far. */
  stdout: () => string;
  /** Its stderr, once it has exited. */
  stderr: Promise<string>;
  /** Sends SIGTERM and waits for the exit; returns the exit code. */
  stop: () => Promise<number>;
}

/**
 * Starts the serve task in `root` on a free loopback port and waits until it listens.
 *
 * @param root the temporary project
 * @param args extra task arguments, e.g. `["--set", "serve.max_rows=50"]`
 * @returns the running service
 * @throws {Error} when the process exits before it listens
 * @example
 * ```ts
 * const service = await startService(root, ["--poll-interval", "100"]);
 * try { await fetch(`${service.url}/v1/health`); } finally { await service.stop(); }
 * ```
 */
export async function startService(root: string, args: readonly string[] = []): Promise<Service> {
  const child = new Deno.Command(Deno.execPath(), {
    args: taskArgs("serve", ["--set", "serve.port=0", "--no-access-log", ...args], root),
    cwd: root,
    env: { NO_COLOR: "1", CI: "true" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server exited before listening:\n${text}\n${await stderr}`);
    text += value;
  }
  const drained = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
  })();
  let stopped: Promise<number> | null = null;
  return {
    child,
    url: text.match(/listening on (\S+)/)![1]!,
    stdout: () => text,
    stderr: drained.then(() => stderr),
    stop: () => {
      stopped ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch {
          // Already exited.
        }
        const status = await child.status;
        await drained;
        await stderr;
        return status.code;
      })();
      return stopped;
    },
  };
}
