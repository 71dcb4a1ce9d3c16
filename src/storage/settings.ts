/**
 * Object-store settings from the standard AWS environment variables, so AWS S3, MinIO, R2 and
 * s3rver are all reached the same way.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";

/** How to reach the object store. */
export interface S3Settings {
  /** A custom endpoint (MinIO, R2, s3rver), or `null` for AWS S3. */
  endpoint: string | null;
  /** The region (`AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`). */
  region: string;
  /** Path-style addressing (`endpoint/bucket/key`): on whenever a custom endpoint is set. */
  forcePathStyle: boolean;
  /** The access key, secret and optional session token. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Milliseconds one request may take before it is abandoned and retried. */
  requestTimeoutMs: number;
  /** Attempts per request, the first included (`AWS_MAX_ATTEMPTS`). */
  maxAttempts: number;
}

/** Defaults of the settings not read from the credentials variables. */
export const DEFAULT_S3_SETTINGS = {
  region: "us-east-1",
  requestTimeoutMs: 30_000,
  maxAttempts: 3,
} as const;

/**
 * Reads the object-store settings from environment variables: `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION`,
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, `AWS_MAX_ATTEMPTS` and
 * `DENO_MLOPS_S3_TIMEOUT_MS` (milliseconds per request).
 *
 * @param env the environment (`Deno.env.toObject()`)
 * @returns the settings
 * @throws {ConfigError} when the access key or the secret is missing (naming the variables to
 *   set), or the endpoint, attempts or timeout are not valid
 * @example
 * ```ts
 * const settings = readS3Settings(Deno.env.toObject());
 * ```
 */
export function readS3Settings(env: Record<string, string | undefined>): S3Settings {
  const accessKeyId = env["AWS_ACCESS_KEY_ID"]?.trim() ?? "";
  const secretAccessKey = env["AWS_SECRET_ACCESS_KEY"]?.trim() ?? "";
  const missing = [
    ...(accessKeyId === "" ? ["AWS_ACCESS_KEY_ID"] : []),
    ...(secretAccessKey === "" ? ["AWS_SECRET_ACCESS_KEY"] : []),
  ];
  if (missing.length > 0) {
    throw new ConfigError(
      `Cannot reach the object store: ${missing.join(" and ")} ${
        missing.length === 1 ? "is" : "are"
      } not set; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), AWS_REGION, and AWS_ENDPOINT_URL_S3 for MinIO, R2 or another S3-compatible server`,
    );
  }
  const endpointText = (env["AWS_ENDPOINT_URL_S3"] ?? env["AWS_ENDPOINT_URL"] ?? "").trim();
  let endpoint: string | null = null;
  if (endpointText !== "") {
    let url: URL;
    try {
      url = new URL(endpointText);
    } catch (cause) {
      throw new ConfigError(
        `Cannot use the object-store endpoint "${endpointText}" (AWS_ENDPOINT_URL_S3): it is not a URL; set it like http://127.0.0.1:9000`,
        [],
        { cause },
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ConfigError(
        `Cannot use the object-store endpoint "${endpointText}" (AWS_ENDPOINT_URL_S3): expected an http:// or https:// URL`,
      );
    }
    endpoint = endpointText.replace(/\/+$/, "");
  }
  const sessionToken = env["AWS_SESSION_TOKEN"]?.trim() ?? "";
  return {
    endpoint,
    region: (env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"] ?? "").trim() ||
      DEFAULT_S3_SETTINGS.region,
    forcePathStyle: endpoint !== null,
    credentials: {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken === "" ? {} : { sessionToken }),
    },
    requestTimeoutMs: positive(
      env,
      "DENO_MLOPS_S3_TIMEOUT_MS",
      DEFAULT_S3_SETTINGS.requestTimeoutMs,
    ),
    maxAttempts: positive(env, "AWS_MAX_ATTEMPTS", DEFAULT_S3_SETTINGS.maxAttempts),
  };
}

function positive(env: Record<string, string | undefined>, name: string, fallback: number) {
  const text = env[name]?.trim() ?? "";
  if (text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(
      `Cannot read ${name}: expected a positive integer, found "${text}"; unset it to use ${fallback}`,
    );
  }
  return value;
}
