/**
 * `s3://bucket/key` URLs: parsing, joining and telling them from local paths.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";

/** An object's address: its bucket and key. */
export interface S3Location {
  /** The bucket name. */
  bucket: string;
  /** The key; empty for the bucket itself, ending in `/` for a prefix. */
  key: string;
}

const S3_URL = /^s3:\/\/([^/]+)(?:\/(.*))?$/i;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Tells whether a location is an `s3://` URL.
 *
 * @param location a path or URL
 * @returns true for `s3://…`
 * @example
 * ```ts
 * isS3Url("s3://models/experiments"); // true
 * isS3Url("models/experiments"); // false
 * ```
 */
export function isS3Url(location: string): boolean {
  return /^s3:\/\//i.test(location);
}

/**
 * Splits an `s3://bucket/key` URL into its bucket and key.
 *
 * @param url the URL
 * @returns the bucket and the key (empty for `s3://bucket`)
 * @throws {ConfigError} when it is not an `s3://` URL or the bucket name is not valid
 * @example
 * ```ts
 * parseS3Url("s3://data/raw/penguins.csv"); // { bucket: "data", key: "raw/penguins.csv" }
 * ```
 */
export function parseS3Url(url: string): S3Location {
  const match = S3_URL.exec(url);
  if (match === null) {
    throw new ConfigError(
      `Cannot read the object location "${url}": expected s3://bucket/key, e.g. s3://my-bucket/data/penguins.csv`,
    );
  }
  const bucket = match[1]!;
  if (!BUCKET_NAME.test(bucket)) {
    throw new ConfigError(
      `Cannot use the bucket "${bucket}" of "${url}": a bucket name has 3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit`,
    );
  }
  return { bucket, key: match[2] ?? "" };
}

/**
 * Joins an `s3://` URL and path segments with single slashes.
 *
 * @param base an `s3://bucket/prefix` URL
 * @param parts the segments to add
 * @returns the joined URL
 * @example
 * ```ts
 * joinS3Url("s3://models/experiments/", "run-1", "run.json"); // "s3://models/experiments/run-1/run.json"
 * ```
 */
export function joinS3Url(base: string, ...parts: string[]): string {
  const segments = parts.map((p) => p.replace(/^\/+|\/+$/g, "")).filter((p) => p !== "");
  return [base.replace(/\/+$/, ""), ...segments].join("/");
}

/**
 * Formats a bucket and key as an `s3://` URL.
 *
 * @param location the bucket and key
 * @returns `s3://bucket/key`
 * @example
 * ```ts
 * formatS3Url({ bucket: "data", key: "penguins.csv" }); // "s3://data/penguins.csv"
 * ```
 */
export function formatS3Url(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}
