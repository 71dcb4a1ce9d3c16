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
 * Waits for `work`, or rejects with a 503 once `timeoutMs` pass. The work itself is not
 * stopped: the caller must keep what it holds (a model lease) until `work` settles.
 *
 * @param work the scoring in progress
 * @param timeoutMs the deadline (`serve.scoring_timeout_ms`)
 * @returns what `work` gives
 * @throws {RequestRejectedError} 503 `scoring_timeout` with `Retry-After`
 * @example
 * ```ts
 * const scored = await withScoringDeadline(scorer.score(run, rows), 10_000);
 * ```
 */
export async function withScoringDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() =>
      reject(
        new RequestRejectedError(
          503,
          "scoring_timeout",
          `Cannot answer in time: scoring took more than ${timeoutMs} ms (serve.scoring_timeout_ms); retry after the Retry-After seconds with fewer rows`,
          { headers: { "Retry-After": "1" } },
        ),
      ), timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
