/**
 * The service's request limits that are not about rows: header size (431), the concurrent
 * request cap (503) and the scoring deadline (503), all answered as JSON with a fix.
 *
 * Deno's HTTP server owns the connections, so some limits cannot be enforced here: it refuses
 * headers over about 64 KiB itself with an empty-bodied 400, and it has no header-read deadline
 * or connection cap; put a reverse proxy in front for those (see README, serving).
 *
 * @module
 */
import { RequestRejectedError } from "../errors.ts";

/**
 * Refuses a request whose header names and values together exceed `maxBytes`.
 *
 * @param headers the request headers
 * @param maxBytes the limit (`serve.max_header_bytes`)
 * @throws {RequestRejectedError} 431 with the size found
 * @example
 * ```ts
 * checkHeaderSize(request.headers, 16 * 1024);
 * ```
 */
export function checkHeaderSize(headers: Headers, maxBytes: number): void {
  let size = 0;
  for (const [name, value] of headers) size += name.length + value.length + 4; // ": " and CRLF
  if (size > maxBytes) {
    throw new RequestRejectedError(
      431,
      "headers_too_large",
      `Cannot answer: the request headers take ${size} bytes, more than the ${maxBytes} allowed (serve.max_header_bytes); send fewer or shorter headers (large cookies are the usual cause)`,
    );
  }
}

/**
 * The 503 answered when more requests are in flight than `serve.max_concurrent_requests`.
 *
 * @param limit the cap
 * @returns the error to throw
 * @example
 * ```ts
 * if (active >= limit) throw overloaded(limit);
 * ```
 */
export function overloaded(limit: number): RequestRejectedError {
  return new RequestRejectedError(
    503,
    "overloaded",
    `Cannot take the request: ${limit} requests are already in flight (serve.max_concurrent_requests); retry after the Retry-After seconds or send to another instance`,
    { headers: { "Retry-After": "1" } },
  );
}

/**
 * Waits for `work` and refuses its answer once `timeoutMs` have passed: at the deadline when
 * the work is still waiting (queued behind other batches), or as soon as it ends when it ran
 * past the deadline without yielding (scoring is synchronous, so a timer cannot interrupt it).
 * Either way the caller (a gateway with its own deadline) gets one consistent answer. The work
 * itself is not stopped: the caller keeps what it holds (a model lease) until `work` settles.
 *
 * @param work the scoring in progress
 * @param timeoutMs the deadline (`serve.scoring_timeout_ms`)
 * @returns what `work` gives, when it ended in time
 * @throws {RequestRejectedError} 503 `scoring_timeout` with `Retry-After`
 * @example
 * ```ts
 * const scored = await withScoringDeadline(scorer.score(run, rows), 10_000);
 * ```
 */
export async function withScoringDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  const started = performance.now();
  const late = () =>
    new RequestRejectedError(
      503,
      "scoring_timeout",
      `Cannot answer in time: scoring took more than ${timeoutMs} ms (serve.scoring_timeout_ms); retry after the Retry-After seconds, with fewer rows or to another instance`,
      { headers: { "Retry-After": "1" } },
    );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), timeoutMs);
  });
  try {
    const result = await Promise.race([work, deadline]);
    if (performance.now() - started > timeoutMs) throw late();
    return result;
  } finally {
    clearTimeout(timer);
  }
}
