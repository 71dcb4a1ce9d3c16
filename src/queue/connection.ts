/**
 * The Redis connection of a coordinator or worker: a bounded wait at start, and a watch that
 * gives up when Redis stays away longer than the reconnect window, so a study stops instead of
 * hanging.
 *
 * @module
 */
import type { Redis } from "ioredis";
import { QueueError } from "../errors.ts";
import { getProjectLogger } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { parseQueueUrl } from "./url.ts";
import type { QueueLocation } from "./url.ts";

/** Options of {@link QueueConnection.open}. */
export interface QueueConnectionOptions {
  /**
   * How long to wait for Redis at start before giving up.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * How long Redis may stay unreachable once connected before the connection is given up
   * (`signal` aborts with a {@link QueueError}).
   * @default 10000
   */
  reconnectMs?: number;
  /**
   * Where connection messages go.
   * @default the "queue" project logger
   */
  logger?: Logger;
}

/** Where a coordinator finds the work queue, and how patiently it connects. */
export interface QueueSettings extends QueueConnectionOptions {
  /** `redis://HOST:PORT[/DB]`. */
  url: string;
  /**
   * The BullMQ queue name; coordinator and workers must use the same.
   * @default "deno-mlops"
   */
  queueName?: string;
}

/** Defaults of {@link QueueConnectionOptions}. */
export const DEFAULT_QUEUE_CONNECTION_OPTIONS: Readonly<
  Required<Omit<QueueConnectionOptions, "logger">>
> = { connectTimeoutMs: 5_000, reconnectMs: 10_000 };

/**
 * A connection to the work queue's Redis. BullMQ's queue, worker and event reader each take
 * their own client from {@link QueueConnection.client}; a probe client pings Redis, and when no
 * ping is answered for `reconnectMs`, `signal` aborts with a {@link QueueError} that names the
 * URL and the fix.
 *
 * @example
 * ```ts
 * const connection = await QueueConnection.open("redis://127.0.0.1:6379");
 * try { const queue = new Queue("deno-mlops", { connection: connection.client() }); } finally { await connection.close(); }
 * ```
 */
export class QueueConnection {
  /** Where the queue lives. */
  readonly location: QueueLocation;
  readonly #options: Required<Omit<QueueConnectionOptions, "logger">>;
  readonly #logger: Logger;
  readonly #clients = new Set<Redis>();
  readonly #lost = new AbortController();
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  private constructor(location: QueueLocation, options: QueueConnectionOptions) {
    this.location = location;
    this.#options = { ...DEFAULT_QUEUE_CONNECTION_OPTIONS, ...stripUndefined(options) };
    this.#logger = options.logger ?? getProjectLogger("queue");
  }

  /**
   * Connects to the Redis at `url`, waiting at most `connectTimeoutMs`.
   *
   * @param url `redis://HOST:PORT[/DB]`
   * @param options connect timeout, reconnect window and logger
   * @returns the open connection
   * @throws {QueueError} when the URL is malformed or Redis does not answer in time (the message
   *   names the URL, the last network error and the fix)
   * @example
   * ```ts
   * const connection = await QueueConnection.open("redis://127.0.0.1:6379", { connectTimeoutMs: 2000 });
   * ```
   */
  static async open(url: string, options: QueueConnectionOptions = {}): Promise<QueueConnection> {
    const location = parseQueueUrl(url);
    // Loaded on first use: the client adds about 80 ms to the start of every task otherwise.
    RedisClient ??= (await import("ioredis")).Redis;
    const connection = new QueueConnection(location, options);
    const probe = connection.client();
    const { connectTimeoutMs } = connection.#options;
    let lastError = "no answer";
    const onError = (error: Error) => lastError = error.message || error.name;
    probe.on("error", onError);
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), connectTimeoutMs);
      probe.once("ready", () => {
        clearTimeout(timer);
        resolve(true);
      });
      probe.connect().catch(() => {}); // retried by the client until the timer ends
    });
    probe.off("error", onError);
    if (!ready) {
      await connection.close();
      const { shown, host, port } = connection.location;
      throw new QueueError(
        `Cannot reach the work queue at "${shown}": ${lastError} after ${
          (connectTimeoutMs / 1000).toFixed(1)
        }s; start Redis there (redis-server --port ${port} --bind ${host}) or pass the right --queue redis://HOST:PORT`,
      );
    }
    connection.#watch(probe);
    connection.#logger.debug("Connected to the work queue at {url}", {
      url: connection.location.shown,
    });
    return connection;
  }

  /** Aborts (with a {@link QueueError} as its reason) when Redis stayed away too long. */
  get signal(): AbortSignal {
    return this.#lost.signal;
  }

  /**
   * A new client for one BullMQ object (each needs its own: workers and event readers
   * block on theirs).
   *
   * @returns an ioredis client that connects on first use and reconnects until the window ends
   * @example
   * ```ts
   * new Worker(name, process, { connection: connection.client() });
   * ```
   */
  client(): Redis {
    const { host, port, db, password } = this.location;
    const client = new RedisClient!({
      host,
      port,
      db,
      ...(password === null ? {} : { password }),
      lazyConnect: true,
      maxRetriesPerRequest: null,
      enableReadyCheck: true,
      connectTimeout: Math.min(this.#options.connectTimeoutMs, 10_000),
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1_000),
    });
    this.#clients.add(client);
    client.on("error", () => {}); // reported by the watch of the probe client
    return client;
  }

  /**
   * Disconnects every client; the connection cannot be used afterwards.
   *
   * @example
   * ```ts
   * await connection.close();
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watchdog);
    for (const client of this.#clients) {
      if (client.status === "ready") await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    }
    this.#clients.clear();
  }

  /**
   * Watches the connection through the probe client: a PING every quarter of the window, and
   * the connection is lost when none was answered for the whole window (also when the socket
   * stays open but Redis no longer answers).
   */
  #watch(probe: Redis): void {
    const { reconnectMs } = this.#options;
    let answered = Date.now();
    let down = false;
    probe.on("close", () => {
      if (this.#closed || down) return;
      down = true;
      this.#logger.warn(
        "Lost the connection to the work queue at {url}; reconnecting for {seconds}s",
        { url: this.location.shown, seconds: reconnectMs / 1000 },
      );
    });
    probe.on("ready", () => {
      answered = Date.now();
      if (!down) return;
      down = false;
      this.#logger.info("Reconnected to the work queue at {url}", { url: this.location.shown });
    });
    this.#watchdog = setInterval(() => {
      if (this.#closed || this.#lost.signal.aborted) return;
      if (Date.now() - answered > reconnectMs) {
        clearInterval(this.#watchdog);
        this.#lost.abort(
          new QueueError(
            `Lost the work queue at "${this.location.shown}": Redis did not answer for ${
              (reconnectMs / 1000).toFixed(1)
            }s; check that redis-server is running and reachable there`,
          ),
        );
        return;
      }
      probe.ping().then(() => answered = Date.now(), () => {});
    }, Math.max(50, Math.floor(reconnectMs / 4)));
  }
}

/** The ioredis client class, once {@link QueueConnection.open} loaded it. */
let RedisClient: typeof Redis | null = null;

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<
    T
  >;
}
