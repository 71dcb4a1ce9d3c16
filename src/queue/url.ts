/**
 * The work queue's location: a `redis://HOST:PORT[/DB]` URL, checked and taken apart.
 *
 * @module
 */
import { QueueError } from "../errors.ts";

/** Where the work queue lives. */
export interface QueueLocation {
  /** The URL as given, e.g. `redis://10.0.0.5:6379/0`. */
  url: string;
  /** The URL with any password replaced by `***`: what messages and logs show. */
  shown: string;
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
  /** Redis database number. */
  db: number;
  /** The password of `redis://:PASSWORD@HOST`, or `null`. */
  password: string | null;
}

/** The Redis port when the URL names none. */
export const DEFAULT_REDIS_PORT = 6379;

/**
 * Parses a work-queue URL: `redis://[:PASSWORD@]HOST[:PORT][/DB]`.
 *
 * @param url the URL, e.g. from `--queue`
 * @returns host, port (default 6379) and database (default 0)
 * @throws {QueueError} when the URL is not a `redis://` URL with a host, a port from 1 to 65535
 *   and a database number
 * @example
 * ```ts
 * parseQueueUrl("redis://127.0.0.1:6390/2"); // { host: "127.0.0.1", port: 6390, db: 2, password: null, ... }
 * ```
 */
export function parseQueueUrl(given: string): QueueLocation {
  const url = redactQueueUrl(given);
  const expected =
    "expected redis://HOST:PORT or redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379";
  let parsed: URL;
  try {
    parsed = new URL(given);
  } catch (cause) {
    throw new QueueError(`Cannot use the work queue "${url}": not a URL; ${expected}`, { cause });
  }
  if (parsed.protocol !== "redis:") {
    throw new QueueError(
      `Cannot use the work queue "${url}": scheme "${parsed.protocol}" is not redis:; ${expected}`,
    );
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  if (host === "") throw new QueueError(`Cannot use the work queue "${url}": no host; ${expected}`);
  const port = parsed.port === "" ? DEFAULT_REDIS_PORT : Number(parsed.port);
  const path = parsed.pathname.replace(/^\//, "");
  const db = path === "" ? 0 : Number(path);
  if (!/^\d*$/.test(path) || !Number.isSafeInteger(db) || db > 15) {
    throw new QueueError(
      `Cannot use the work queue "${url}": database "${path}" is not a number from 0 to 15; ${expected}`,
    );
  }
  if (parsed.search !== "" || parsed.hash !== "") {
    throw new QueueError(
      `Cannot use the work queue "${url}": query and fragment are not read; ${expected}`,
    );
  }
  const password = parsed.password === "" ? null : decodeURIComponent(parsed.password);
  return { url: given, shown: url, host, port, db, password };
}

/**
 * Replaces the password of a queue URL with `***`, so messages and logs never show it.
 *
 * @param url a queue URL
 * @returns the URL without its password
 * @example
 * ```ts
 * redactQueueUrl("redis://:s3cret@10.0.0.5:6379"); // "redis://:***@10.0.0.5:6379"
 * ```
 */
export function redactQueueUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, "$1***@");
}
