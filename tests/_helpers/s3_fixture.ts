/**
 * One s3rver with a conditional-write proxy in front, the AWS variables pointing the project's
 * object store at the proxy, and a temporary local cache: what each object-storage test needs.
 *
 * @module
 */
import { closeObjectStores } from "../../src/storage/mod.ts";
import { type S3Fault, type S3Proxy, startS3Proxy } from "./s3_proxy.ts";
import { type S3Server, startS3Server, withEnv } from "./s3_server.ts";

/** What {@link withS3} hands the test. */
export interface S3Fixture {
  /** The s3rver behind the proxy. */
  server: S3Server;
  /** The proxy the project's store talks to. */
  proxy: S3Proxy;
  /** The local cache folder (`DENO_MLOPS_S3_CACHE`). */
  cache: string;
  /** A temporary folder for the test's own files. */
  tmp: string;
}

/** Options of {@link withS3}. */
export interface WithS3Options {
  /** Buckets to create. */
  buckets?: string[];
  /** Faults for the proxy. */
  faults?: S3Fault[];
  /** Milliseconds per request before a timeout. */
  timeoutMs?: number;
  /** Attempts per request. */
  attempts?: number;
}

/** Deno.test options for tests that hold client connections between steps. */
export const S3_TEST = { sanitizeOps: false, sanitizeResources: false } as const;

/**
 * Runs `body` against a fresh s3rver behind the proxy, with the AWS variables set, then stops
 * both and removes the temporary folders.
 *
 * @param body the test
 * @param options buckets, faults, timeout and attempts
 */
export async function withS3(
  body: (fixture: S3Fixture) => Promise<void>,
  options: WithS3Options = {},
): Promise<void> {
  const server = await startS3Server(options.buckets ?? ["models", "data"]);
  const proxy = startS3Proxy(server.endpoint, options.faults ?? []);
  const cache = await Deno.makeTempDir({ prefix: "s3-cache-" });
  const tmp = await Deno.makeTempDir({ prefix: "s3-test-" });
  try {
    await withEnv({
      ...server.env,
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
      AWS_SESSION_TOKEN: undefined,
      AWS_MAX_ATTEMPTS: String(options.attempts ?? 2),
      DENO_MLOPS_S3_TIMEOUT_MS: String(options.timeoutMs ?? 2000),
      DENO_MLOPS_S3_CACHE: cache,
    }, () => body({ server, proxy, cache, tmp }));
  } finally {
    closeObjectStores();
    await proxy.close();
    await server.close();
    await Deno.remove(cache, { recursive: true }).catch(() => {});
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
