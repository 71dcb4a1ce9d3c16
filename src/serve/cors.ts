/**
 * The service's cross-origin policy: an opt-in allowlist of browser origins (`serve.cors_origins`).
 * A request from any other origin is refused before it reaches a route, so a page elsewhere cannot
 * make a browser send rows (a `text/csv` POST needs no preflight) or an admin call.
 *
 * @module
 */
import { RequestRejectedError } from "../errors.ts";

/** Request headers a browser may send cross-origin. */
export const CORS_ALLOWED_HEADERS = ["Authorization", "Content-Type", "X-Request-Id"] as const;
/** Response headers a browser script may read. */
export const CORS_EXPOSED_HEADERS = ["X-Request-Id", "X-Run-Id", "Retry-After"] as const;
/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;

/** What {@link CorsPolicy.check} decided for a request. */
export type CorsDecision =
  /** No `Origin` header: not a cross-origin browser request; no CORS header is sent. */
  | { kind: "none" }
  /** An allowed preflight: answer 204 with these headers and go no further. */
  | { kind: "preflight"; headers: Record<string, string> }
  /** An allowed cross-origin request: serve it and add these headers to the answer. */
  | { kind: "allowed"; headers: Record<string, string> };

/**
 * Decides what to do with a request's `Origin` against the allowlist.
 *
 * @example
 * ```ts
 * const cors = new CorsPolicy(["https://app.example.com"]);
 * cors.check("OPTIONS", "https://app.example.com", "POST", "/v1/predict"); // { kind: "preflight", … }
 * ```
 */
export class CorsPolicy {
  readonly #origins: ReadonlySet<string>;

  /** @param origins allowed origins (`serve.cors_origins`), e.g. `https://app.example.com` */
  constructor(origins: readonly string[]) {
    this.#origins = new Set(origins.map((origin) => origin.toLowerCase()));
  }

  /**
   * Checks one request.
   *
   * @param method the request method
   * @param origin its `Origin` header, or `null`
   * @param requestedMethod its `Access-Control-Request-Method` header (preflights), or `null`
   * @param methods the methods the route answers, or `null` for an unknown route
   * @returns what to do
   * @throws {RequestRejectedError} 403 when the origin is not allowed, or a preflight asks for a
   *   method the route does not answer
   */
  check(
    method: string,
    origin: string | null,
    requestedMethod: string | null,
    methods: readonly string[] | null,
  ): CorsDecision {
    if (origin === null) return { kind: "none" };
    const shown = JSON.stringify(origin.slice(0, 100));
    if (!this.#origins.has(origin.toLowerCase())) {
      throw new RequestRejectedError(
        403,
        "origin_not_allowed",
        this.#origins.size === 0
          ? `Cannot answer a request from origin ${shown}: the service allows no browser origin; call it from a server, or add the origin to serve.cors_origins`
          : `Cannot answer a request from origin ${shown}: it is not in serve.cors_origins; add it there, or call from an allowed origin`,
      );
    }
    const common = { "Access-Control-Allow-Origin": origin, "Vary": "Origin" };
    if (method !== "OPTIONS" || requestedMethod === null) {
      return {
        kind: "allowed",
        headers: { ...common, "Access-Control-Expose-Headers": CORS_EXPOSED_HEADERS.join(", ") },
      };
    }
    const allowed = methods ?? [];
    if (!allowed.includes(requestedMethod.toUpperCase())) {
      throw new RequestRejectedError(
        403,
        "method_not_allowed_cross_origin",
        `Cannot allow ${
          JSON.stringify(requestedMethod.slice(0, 20))
        } from origin ${shown}: the route answers ${
          allowed.length === 0 ? "nothing (it does not exist)" : allowed.join(", ")
        }; send one of those`,
      );
    }
    return {
      kind: "preflight",
      headers: {
        ...common,
        "Access-Control-Allow-Methods": allowed.join(", "),
        "Access-Control-Allow-Headers": CORS_ALLOWED_HEADERS.join(", "),
        "Access-Control-Max-Age": String(CORS_MAX_AGE_SECONDS),
      },
    };
  }
}
