/**
 * Bearer-token authentication of the prediction service: tokens are random strings held by the
 * clients; the service knows only their sha256 and scope (`serve.tokens`), hashes what a
 * request presents and compares digests in constant time.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { RequestRejectedError } from "../errors.ts";
import type { TokenScope } from "../config/mod.ts";

/** A token the service accepts: its sha256 (hex) and what it may do. */
export interface ServiceToken {
  /** A label for logs; never the token. */
  readonly name: string;
  /** `predict` (every route but admin) or `admin` (every route). */
  readonly scope: TokenScope;
  /** The token's sha256, 64 lowercase hex digits. */
  readonly sha256: string;
}

/** Who a request is, once its token is checked. */
export interface Caller {
  /** The matched token's name. */
  readonly name: string;
  /** The matched token's scope. */
  readonly scope: TokenScope;
}

/** How every token starts, so that a token is recognisable in a leak scan. */
export const TOKEN_PREFIX = "dmt_";

/** A well-formed token: the prefix, then 43 base64url characters (32 random bytes). */
const TOKEN_PATTERN = /^dmt_[A-Za-z0-9_-]{43}$/;

/** Query parameters that look like credentials; a request carrying one is refused. */
const CREDENTIAL_PARAMETERS = ["token", "access_token", "api_key", "apikey", "auth"];

const WWW_AUTHENTICATE = 'Bearer realm="deno-mlops"';

/**
 * Makes a new random token.
 *
 * @returns `dmt_` and 43 base64url characters (32 bytes from the system's random source)
 * @example
 * ```ts
 * const token = generateToken(); // "dmt_q3V…"
 * ```
 */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return TOKEN_PREFIX + base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Hashes a token the way `serve.tokens` stores it.
 *
 * @param token the token
 * @returns its sha256 as 64 lowercase hex digits
 * @example
 * ```ts
 * tokenSha256("dmt_…"); // "9f86d0…"
 * ```
 */
export function tokenSha256(token: string): string {
  return toHex(digest(token));
}

/**
 * Checks bearer tokens against the configured sha256 digests, in constant time.
 *
 * @example
 * ```ts
 * const auth = new TokenAuthenticator(config.serve.tokens);
 * const caller = auth.authenticate(request.headers.get("authorization"), "predict");
 * ```
 */
export class TokenAuthenticator {
  readonly #tokens: { name: string; scope: TokenScope; digest: Uint8Array }[];

  /**
   * @param tokens the accepted tokens (`serve.tokens`); empty turns authentication off
   * @throws {TypeError} when a digest is not 64 lowercase hex digits
   */
  constructor(tokens: readonly ServiceToken[]) {
    this.#tokens = tokens.map((token) => {
      if (!/^[0-9a-f]{64}$/.test(token.sha256)) {
        throw new TypeError(
          `Cannot use token "${token.name}": its sha256 must be 64 lowercase hex digits; run deno task token for a new entry`,
        );
      }
      return { name: token.name, scope: token.scope, digest: fromHex(token.sha256) };
    });
  }

  /** Whether any token is configured (authentication is on). */
  get enabled(): boolean {
    return this.#tokens.length > 0;
  }

  /**
   * Finds the caller of a request from its `Authorization` header.
   *
   * @param authorization the header value, or `null` when absent
   * @param needed the scope the route needs (`admin` includes `predict`)
   * @returns the caller; `null` when authentication is off
   * @throws {RequestRejectedError} 401 when the header is missing, not `Bearer <token>`, or the
   *   token is unknown; 403 when the token lacks the scope
   */
  authenticate(authorization: string | null, needed: TokenScope): Caller | null {
    if (!this.enabled) return null;
    const fix = "send Authorization: Bearer <token> with a token whose sha256 is in serve.tokens";
    if (authorization === null || authorization.trim() === "") {
      throw unauthorized(
        "missing_token",
        `Cannot answer: the request has no Authorization header; ${fix}`,
        "",
      );
    }
    const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
    if (match === null) {
      throw unauthorized(
        "invalid_token",
        `Cannot answer: the Authorization header is not "Bearer <token>"; ${fix}`,
        ', error="invalid_request"',
      );
    }
    const token = match[1]!;
    if (!TOKEN_PATTERN.test(token)) {
      throw unauthorized(
        "invalid_token",
        `Cannot answer: the bearer token is not a service token (expected "${TOKEN_PREFIX}" and 43 base64url characters); ${fix}; deno task token makes one`,
        ', error="invalid_token"',
      );
    }
    const presented = digest(token);
    // Compare with every configured digest, without stopping at a match, so that timing tells
    // nothing about which bytes or which entry matched.
    let found: { name: string; scope: TokenScope } | null = null;
    for (const entry of this.#tokens) {
      if (constantTimeEqual(presented, entry.digest) && found === null) found = entry;
    }
    if (found === null) {
      throw unauthorized(
        "invalid_token",
        `Cannot answer: the bearer token is not one the service accepts; ${fix}`,
        ', error="invalid_token"',
      );
    }
    if (needed === "admin" && found.scope !== "admin") {
      throw new RequestRejectedError(
        403,
        "insufficient_scope",
        `Cannot answer: token "${found.name}" has scope "${found.scope}" and this route needs "admin"; send a token whose serve.tokens entry has scope: admin`,
        { headers: { "WWW-Authenticate": `${WWW_AUTHENTICATE}, error="insufficient_scope"` } },
      );
    }
    return { name: found.name, scope: found.scope };
  }
}

/**
 * Refuses a request whose query string carries something that looks like a credential: a URL
 * ends up in proxy logs, browser history and referrers.
 *
 * @param url the request URL
 * @throws {RequestRejectedError} 400 naming the parameter
 * @example
 * ```ts
 * refuseCredentialsInQuery(new URL("http://h/v1/predict?token=x")); // throws 400
 * ```
 */
export function refuseCredentialsInQuery(url: URL): void {
  for (const name of url.searchParams.keys()) {
    if (CREDENTIAL_PARAMETERS.includes(name.toLowerCase())) {
      throw new RequestRejectedError(
        400,
        "credentials_in_query",
        `Cannot answer: the query string carries a credential ("${
          name.slice(0, 40)
        }"), which proxies and logs keep; send it as Authorization: Bearer <token> instead, and replace that token (it may have leaked)`,
      );
    }
  }
}

/** Whether two digests are equal, looking at every byte whatever the first difference. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

function unauthorized(code: string, message: string, detail: string): RequestRejectedError {
  return new RequestRejectedError(401, code, message, {
    headers: { "WWW-Authenticate": WWW_AUTHENTICATE + detail },
  });
}

/** The sha256 of `text` (node:crypto's synchronous hash: about 100 times faster per request
 * than `crypto.subtle.digest`, which goes through an async round trip). */
function digest(text: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(text, "utf8").digest());
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
