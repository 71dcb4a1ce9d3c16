/**
 * A loopback HTTP proxy in front of s3rver that adds what s3rver does not emulate and injects
 * faults:
 * - it enforces `If-Match` and `If-None-Match: *` on PUT (s3rver ignores both), one key at a
 *   time, so a compare-and-swap race has exactly one winner;
 * - it answers AbortMultipartUpload itself (s3rver answers 405) and records the call;
 * - it fails chosen requests, by their 1-based number, with a status or by hanging.
 *
 * @module
 */
import { freePort } from "./s3_server.ts";

/** A fault at a request number. */
export interface S3Fault {
  /** The 1-based number of the first request it hits (counted over every request). */
  at: number;
  /** How many requests in a row it hits, from `at`. */
  times?: number;
  /** Answer with an HTTP status, or hang until the proxy closes. */
  kind: "status" | "hang";
  /** The status for `kind: "status"`. */
  status?: number;
  /** Only requests whose method and path match count toward this fault (all when absent). */
  only?: RegExp;
}

/** A running proxy. */
export interface S3Proxy {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Every request seen: `"PUT /bucket/key?query"`, in order. */
  requests: string[];
  /** The multipart uploads aborted: `"/bucket/key"`. */
  aborted: string[];
  /** Replaces the faults (the request count goes on). */
  setFaults(faults: S3Fault[]): void;
  /** Stops the proxy, releasing hanging requests. */
  close(): Promise<void>;
}

/**
 * Starts the proxy on a free loopback port.
 *
 * @param upstream the s3rver endpoint
 * @param faults the faults to inject
 * @returns the proxy
 */
export function startS3Proxy(upstream: string, faults: S3Fault[] = []): S3Proxy {
  const requests: string[] = [];
  const aborted: string[] = [];
  const hanging = new Set<() => void>();
  const locks = new Map<string, Promise<unknown>>();
  const counted = new Map<S3Fault, number>();
  let active = faults;
  const port = freePort();
  const controller = new AbortController();
  // Its own connection pool, closed with the proxy, so s3rver can stop without waiting on
  // idle keep-alive connections.
  const client = Deno.createHttpClient({});

  function faultFor(line: string): S3Fault | null {
    const n = requests.length;
    for (const fault of active) {
      if (fault.only !== undefined) {
        if (!fault.only.test(line)) continue;
        const seen = (counted.get(fault) ?? 0) + 1;
        counted.set(fault, seen);
        if (seen >= fault.at && seen < fault.at + (fault.times ?? 1)) return fault;
        continue;
      }
      if (n >= fault.at && n < fault.at + (fault.times ?? 1)) return fault;
    }
    return null;
  }

  async function forward(request: Request, url: URL): Promise<Response> {
    const headers = new Headers(request.headers);
    const body = request.body === null ? null : await request.arrayBuffer();
    const answer = await fetch(`${upstream}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body,
      redirect: "manual",
      client,
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  }

  async function conditional(request: Request, url: URL): Promise<Response> {
    const ifMatch = request.headers.get("if-match");
    const ifNoneMatch = request.headers.get("if-none-match");
    // s3rver answers unsigned requests; the signed request's signature names the proxied host.
    const head = await fetch(`${upstream}${url.pathname}`, { method: "HEAD", client });
    await head.body?.cancel();
    const current = head.status === 200 ? head.headers.get("etag") : null;
    const refused = (ifNoneMatch === "*" && current !== null) ||
      (ifMatch !== null && ifMatch !== current);
    if (refused) {
      await request.body?.cancel();
      return new Response(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`,
        { status: 412, headers: { "content-type": "application/xml" } },
      );
    }
    return await forward(request, url);
  }

  Deno.serve({
    port,
    hostname: "127.0.0.1",
    signal: controller.signal,
    onListen() {},
  }, async (request) => {
    const url = new URL(request.url);
    const line = `${request.method} ${url.pathname}${url.search}`;
    requests.push(line);
    const fault = faultFor(line);
    if (fault?.kind === "hang") {
      await new Promise<void>((resolve) => hanging.add(resolve));
      return new Response(null, { status: 503 });
    }
    if (fault?.kind === "status") {
      await request.body?.cancel();
      return new Response(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected fault</Message></Error>`,
        { status: fault.status ?? 500, headers: { "content-type": "application/xml" } },
      );
    }
    if (request.method === "DELETE" && url.searchParams.has("uploadId")) {
      aborted.push(url.pathname);
      return new Response(null, { status: 204 });
    }
    const conditionalPut = request.method === "PUT" && !url.searchParams.has("uploadId") &&
      (request.headers.has("if-match") || request.headers.has("if-none-match"));
    if (!conditionalPut) return await forward(request, url);
    // One conditional write per key at a time: check and write are one step, as in S3.
    const previous = locks.get(url.pathname) ?? Promise.resolve();
    const turn = previous.then(() => conditional(request, url));
    locks.set(url.pathname, turn.catch(() => {}));
    return await turn;
  });

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    aborted,
    setFaults(next) {
      active = next;
      counted.clear();
    },
    async close() {
      for (const release of hanging) release();
      hanging.clear();
      controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 10));
      client.close();
    },
  };
}
