/**
 * A throwaway `redis-server` on a free loopback port for queue tests, without persistence, and
 * worker processes (`src/cli/worker.ts`) that use it.
 *
 * @module
 */
import { taskArgs } from "./tasks.ts";

/** Where the Debian package installs the server. */
const REDIS_SERVER = "redis-server";

/** A running server. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Stops the server (SIGTERM) and waits for it. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** Runs a command with `redis-cli`-free raw RESP and returns the reply text. */
  command(...args: string[]): Promise<string>;
}

/**
 * Why queue tests cannot run here, or `null` when `redis-server` is installed. Under CI
 * (`CI=true`), where `.ci/run` installs it, a missing server is an error, not a skip.
 *
 * @returns the reason to print when skipping
 * @throws {Error} under `CI=true` when `redis-server` is missing
 */
export function redisMissing(): string | null {
  const reason = whyRedisMissing();
  if (reason !== null && Deno.env.get("CI") === "true") {
    throw new Error(`The queue tests need redis-server under CI: ${reason}`);
  }
  return reason;
}

function whyRedisMissing(): string | null {
  try {
    const out = new Deno.Command(REDIS_SERVER, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return out.success ? null : "redis-server --version failed";
  } catch {
    return "redis-server is not installed (apt-get install redis-server; .ci/run installs it)";
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Starts `redis-server --port <free port> --save "" --appendonly no --bind 127.0.0.1`.
 *
 * @returns the server
 */
export async function startRedis(): Promise<RedisServer> {
  const port = freePort();
  let child: Deno.ChildProcess | null = null;
  const start = async () => {
    child = new Deno.Command(REDIS_SERVER, {
      args: ["--port", String(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 100; i++) {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        conn.close();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(`redis-server did not start on port ${port}`);
  };
  const stop = async () => {
    if (child === null) return;
    const running = child as Deno.ChildProcess;
    child = null;
    try {
      running.kill("SIGTERM");
    } catch {
      // already gone
    }
    await running.status;
  };
  const command = async (...args: string[]) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const body = `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;
    await conn.write(new TextEncoder().encode(body));
    const buffer = new Uint8Array(4096);
    const n = await conn.read(buffer);
    conn.close();
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start, command };
}

/** A worker process started by {@link startWorker}. */
export interface WorkerProcess {
  child: Deno.ChildProcess;
  /** Everything it wrote on stderr and stdout so far. */
  output(): string;
  /** Resolves when its output matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends a signal and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Starts `deno task worker --queue <url>` (with the task's own permissions) in `root` with the
 * given extra arguments.
 *
 * @param url the queue
 * @param root the project folder (working directory)
 * @param args extra arguments, e.g. `["--lock-ms", "1500"]`
 * @returns the process
 */
export function startWorker(url: string, root: string, args: string[] = []): WorkerProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: taskArgs("worker", ["--queue", url, ...args], root),
    cwd: root,
    env: { NO_COLOR: "1", CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(text)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    child,
    output: () => text,
    waitFor(pattern, timeoutMs = 30_000) {
      if (pattern.test(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`worker output never matched ${pattern}:\n${text}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
      const status = await child.status;
      await pumps;
      return status;
    },
  };
}
