/**
 * `S3ObjectStore`: the object-store contract over the S3 API with the AWS SDK v3. Every request
 * has a bounded time and a bounded number of attempts; failures become `StorageError`s that name
 * the object and the fix, and a failed condition becomes a `StoragePreconditionError`.
 *
 * @module
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { ConfigError, StorageError, StoragePreconditionError } from "../errors.ts";
import { formatS3Url, parseS3Url } from "./location.ts";
import {
  DEFAULT_UPLOAD_OPTIONS,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type PutObjectOptions,
  type UploadOptions,
} from "./object_store.ts";
import { readS3Settings, type S3Settings } from "./settings.ts";

/** The SDK's error shape, as far as the mapping below reads it. */
interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/**
 * The object store over the S3 API.
 *
 * @example
 * ```ts
 * const store = new S3ObjectStore(readS3Settings(Deno.env.toObject()));
 * const info = await store.head("s3://data/penguins.csv");
 * ```
 */
export class S3ObjectStore implements ObjectStore {
  readonly #client: S3Client;
  readonly #settings: S3Settings;

  /**
   * @param settings endpoint, region, credentials, timeout and attempts (see `readS3Settings`)
   */
  constructor(settings: S3Settings) {
    this.#settings = settings;
    this.#client = new S3Client({
      region: settings.region,
      credentials: settings.credentials,
      ...(settings.endpoint === null ? {} : { endpoint: settings.endpoint }),
      forcePathStyle: settings.forcePathStyle,
      maxAttempts: settings.maxAttempts,
      // Checksums only where the API requires them: S3-compatible servers differ in the
      // newer checksum headers, and every file the project stores carries its own sha256.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      requestHandler: {
        requestTimeout: settings.requestTimeoutMs,
        connectionTimeout: Math.min(settings.requestTimeoutMs, 10_000),
        // A request that hangs past the timeout fails (and is retried) instead of waiting on.
        throwOnRequestTimeout: true,
      },
    });
  }

  /** The settings the store was created with. */
  get settings(): S3Settings {
    return this.#settings;
  }

  /** Closes the client's connections. */
  close(): void {
    this.#client.destroy();
  }

  /** {@inheritDoc ObjectStore.head} */
  async head(url: string): Promise<ObjectInfo | null> {
    const { bucket, key } = parseS3Url(url);
    try {
      const out = await this.#client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key }),
        this.#limit(),
      );
      return { url, etag: out.ETag ?? "", bytes: out.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.#wrap("head", url, error);
    }
  }

  /** {@inheritDoc ObjectStore.get} */
  async get(url: string): Promise<ObjectBody | null> {
    const { bucket, key } = parseS3Url(url);
    try {
      const out = await this.#client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key }),
        this.#limit(),
      );
      if (out.Body === undefined) {
        throw new StorageError(`Cannot get "${url}": the store answered without a body`);
      }
      return {
        info: { url, etag: out.ETag ?? "", bytes: out.ContentLength ?? 0 },
        body: out.Body.transformToWebStream() as ReadableStream<Uint8Array>,
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.#wrap("get", url, error);
    }
  }

  /** {@inheritDoc ObjectStore.put} */
  async put(
    url: string,
    body: Uint8Array | string,
    options: PutObjectOptions = {},
  ): Promise<ObjectInfo> {
    const { bucket, key } = parseS3Url(url);
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const command = new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: bytes,
      ContentLength: bytes.byteLength,
      ContentType: options.contentType ?? DEFAULT_UPLOAD_OPTIONS.contentType,
      ...(options.ifMatch ? { IfMatch: options.ifMatch } : {}),
      ...(options.ifNoneMatch ? { IfNoneMatch: "*" } : {}),
    });
    try {
      const out = await this.#client.send(command, this.#limit());
      return { url, etag: out.ETag ?? "", bytes: bytes.byteLength };
    } catch (error) {
      throw this.#wrap("put", url, error);
    }
  }

  /** {@inheritDoc ObjectStore.upload} */
  async upload(url: string, path: string, options: UploadOptions = {}): Promise<ObjectInfo> {
    const settings = { ...DEFAULT_UPLOAD_OPTIONS, ...options };
    if (!(settings.partBytes >= 5 * 1024 * 1024)) {
      throw new RangeError(
        `Cannot upload "${path}": partBytes is ${settings.partBytes}, S3 needs at least 5 MiB`,
      );
    }
    let size: number;
    try {
      size = (await Deno.stat(path)).size;
    } catch (cause) {
      throw new StorageError(`Cannot upload "${path}" to "${url}": the file cannot be read`, {
        cause,
      });
    }
    if (size < settings.multipartThreshold) {
      return await this.put(url, await Deno.readFile(path), { contentType: settings.contentType });
    }
    return await this.#multipart(url, path, size, settings);
  }

  async #multipart(
    url: string,
    path: string,
    size: number,
    settings: Required<UploadOptions>,
  ): Promise<ObjectInfo> {
    const { bucket, key } = parseS3Url(url);
    let uploadId: string | undefined;
    const file = await Deno.open(path, { read: true });
    try {
      const created = await this.#client.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ContentType: settings.contentType,
        }),
        this.#limit(),
      );
      uploadId = created.UploadId;
      if (uploadId === undefined) {
        throw new StorageError(`Cannot upload "${url}": the store returned no upload id`);
      }
      const parts: { PartNumber: number; ETag: string }[] = [];
      for (let number = 1, sent = 0; sent < size; number++) {
        const chunk = await readChunk(file, Math.min(settings.partBytes, size - sent));
        const out = await this.#client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: number,
            Body: chunk,
            ContentLength: chunk.byteLength,
          }),
          this.#limit(),
        );
        parts.push({ PartNumber: number, ETag: out.ETag ?? "" });
        sent += chunk.byteLength;
      }
      const done = await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
        this.#limit(),
      );
      return { url, etag: done.ETag ?? "", bytes: size };
    } catch (error) {
      if (uploadId !== undefined) {
        // Parts of an aborted upload are never visible as an object; aborting frees them.
        await this.#client.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
          { abortSignal: AbortSignal.timeout(this.#settings.requestTimeoutMs) },
        ).catch(() => {});
      }
      throw error instanceof StorageError ? error : this.#wrap("upload", url, error);
    } finally {
      file.close();
    }
  }

  /** {@inheritDoc ObjectStore.list} */
  async list(prefixUrl: string): Promise<ObjectInfo[]> {
    const { bucket, key: prefix } = parseS3Url(prefixUrl);
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
          this.#limit(),
        );
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined) continue;
          out.push({
            url: formatS3Url({ bucket, key: item.Key }),
            etag: item.ETag ?? "",
            bytes: item.Size ?? 0,
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw this.#wrap("list", prefixUrl, error);
    }
    return out.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  }

  /** {@inheritDoc ObjectStore.delete} */
  async delete(url: string): Promise<void> {
    const { bucket, key } = parseS3Url(url);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), this.#limit());
    } catch (error) {
      if (isNotFound(error)) return;
      throw this.#wrap("delete", url, error);
    }
  }

  /** Bounds a whole call, retries included; each attempt is bounded by the socket timeout. */
  #limit(): { abortSignal: AbortSignal } {
    const ms = (this.#settings.requestTimeoutMs + 1_000) * this.#settings.maxAttempts;
    return { abortSignal: AbortSignal.timeout(ms) };
  }

  #wrap(action: string, url: string, error: unknown): StorageError {
    if (error instanceof StorageError) return error;
    const e = (error ?? {}) as SdkError;
    const status = e.$metadata?.httpStatusCode ?? null;
    const attempts = e.$metadata?.attempts ?? this.#settings.maxAttempts;
    const name = e.name ?? e.code ?? "Error";
    const where = this.#settings.endpoint ?? `AWS S3 (${this.#settings.region})`;
    if (status === 412 || name === "PreconditionFailed" || name === "ConditionalRequestConflict") {
      return new StoragePreconditionError(
        `Cannot ${action} "${url}": its write condition does not hold (it changed since it was read, or it already exists); the object is unchanged, read it again and retry`,
        { cause: error },
      );
    }
    let detail: string;
    let fix: string;
    if (name === "NoSuchBucket") {
      detail = "the bucket does not exist";
      fix = "create the bucket, or correct the s3:// URL";
    } else if (
      status === 403 || name === "InvalidAccessKeyId" || name === "SignatureDoesNotMatch" ||
      name === "AccessDenied"
    ) {
      detail = `the store refused the credentials (${name})`;
      fix =
        "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN and the bucket policy";
    } else if (status !== null && status >= 500) {
      detail = `${where} answered ${status} (${name}) after ${attempts} attempt(s)`;
      fix = "retry later; nothing was published by this request";
    } else if (
      name === "TimeoutError" || name === "AbortError" || name === "RequestTimeout" ||
      /timed? ?out|aborted/i.test(e.message ?? "")
    ) {
      detail =
        `${where} did not answer within ${this.#settings.requestTimeoutMs} ms (${attempts} attempt(s))`;
      fix =
        "check the endpoint, or raise DENO_MLOPS_S3_TIMEOUT_MS; nothing was published by this request";
    } else if (status === null) {
      detail = `${where} cannot be reached (${e.message ?? name})`;
      fix = "check AWS_ENDPOINT_URL_S3 and the network";
    } else {
      detail = `${where} answered ${status} (${name}: ${e.message ?? ""})`;
      fix = "check the URL and the store's settings";
    }
    return new StorageError(`Cannot ${action} "${url}": ${detail}; ${fix}`, {
      cause: error,
      status,
      fix,
    });
  }
}

function isNotFound(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  return e.$metadata?.httpStatusCode === 404 && e.name !== "NoSuchBucket";
}

async function readChunk(file: Deno.FsFile, bytes: number): Promise<Uint8Array> {
  const chunk = new Uint8Array(bytes);
  let filled = 0;
  while (filled < bytes) {
    const n = await file.read(chunk.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled === bytes ? chunk : chunk.subarray(0, filled);
}

const STORES = new Map<string, S3ObjectStore>();

/** Refuses early, with the fix, when the permissions do not let this process reach the store. */
function requireNetwork(settings: S3Settings): void {
  const host = settings.endpoint === null
    ? `s3.${settings.region}.amazonaws.com`
    : new URL(settings.endpoint).host;
  if (Deno.permissions.querySync({ name: "net", host }).state === "granted") return;
  throw new ConfigError(
    `Cannot reach the object store at "${host}": this process has no network access to it (the offline tasks never reach the network); run the task's :remote variant, e.g. \`deno task promote:remote\`, or add --allow-net to deno run`,
  );
}

/**
 * The object store for the current environment (see `readS3Settings`), one per distinct
 * settings so connections are reused.
 *
 * @param env the environment
 * @returns the store
 * @throws {ConfigError} when credentials are missing (naming the variables to set), or the
 *   process may not reach the endpoint (an offline task: use its `:remote` variant)
 * @example
 * ```ts
 * const store = openObjectStore();
 * await store.head("s3://data/penguins.csv");
 * ```
 */
export function openObjectStore(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): S3ObjectStore {
  const settings = readS3Settings(env);
  requireNetwork(settings);
  const key = JSON.stringify(settings);
  let store = STORES.get(key);
  if (store === undefined) {
    store = new S3ObjectStore(settings);
    STORES.set(key, store);
  }
  return store;
}

/**
 * Closes every store {@link openObjectStore} opened (tests and short scripts call this so no
 * connection outlives them).
 *
 * @example
 * ```ts
 * closeObjectStores();
 * ```
 */
export function closeObjectStores(): void {
  for (const store of STORES.values()) store.close();
  STORES.clear();
}
