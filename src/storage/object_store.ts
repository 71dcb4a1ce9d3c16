/**
 * The object-store contract the data sources and the registry use: streaming get, head, put
 * with conditions, list by prefix, delete, and file upload (multipart when large). Locations are
 * `s3://bucket/key` URLs. `S3ObjectStore` implements it over the S3 API; tests may pass any
 * other implementation.
 *
 * @module
 */

/** What the store knows about one object. */
export interface ObjectInfo {
  /** `s3://bucket/key`. */
  url: string;
  /** The entity tag, as the store returns it (quoted); it changes whenever the object does. */
  etag: string;
  /** Size in bytes. */
  bytes: number;
}

/** An object being read: its description and its bytes as a stream. */
export interface ObjectBody {
  /** The object's url, ETag and size. */
  info: ObjectInfo;
  /** The bytes; read it to the end or cancel it. */
  body: ReadableStream<Uint8Array>;
}

/** Conditions and metadata of a write. */
export interface PutObjectOptions {
  /**
   * Write only when the object's current ETag is this one (`If-Match`): a compare-and-swap.
   * @default null
   */
  ifMatch?: string | null;
  /**
   * Write only when no object exists at the key (`If-None-Match: *`).
   * @default false
   */
  ifNoneMatch?: boolean;
  /**
   * The `Content-Type` stored with the object.
   * @default "application/octet-stream"
   */
  contentType?: string;
}

/** Options of {@link ObjectStore.upload}. */
export interface UploadOptions {
  /**
   * Files at least this large are sent as a multipart upload, aborted when a part fails.
   * @default 16 MiB
   */
  multipartThreshold?: number;
  /**
   * Bytes per part of a multipart upload (S3 needs 5 MiB or more, the last part excepted).
   * @default 8 MiB
   */
  partBytes?: number;
  /**
   * The `Content-Type` stored with the object.
   * @default "application/octet-stream"
   */
  contentType?: string;
}

/** Defaults of {@link UploadOptions}. */
export const DEFAULT_UPLOAD_OPTIONS: Readonly<Required<UploadOptions>> = {
  multipartThreshold: 16 * 1024 * 1024,
  partBytes: 8 * 1024 * 1024,
  contentType: "application/octet-stream",
};

/** An object store addressed by `s3://bucket/key` URLs. */
export interface ObjectStore {
  /**
   * Describes an object without reading it.
   *
   * @param url the object
   * @returns its ETag and size, or `null` when it does not exist
   * @throws {StorageError} when the store cannot be reached or refuses
   */
  head(url: string): Promise<ObjectInfo | null>;
  /**
   * Opens an object for reading, as a stream.
   *
   * @param url the object
   * @returns its description and bytes, or `null` when it does not exist
   * @throws {StorageError} when the store cannot be reached or refuses
   */
  get(url: string): Promise<ObjectBody | null>;
  /**
   * Writes a whole object in one request, optionally only under a condition.
   *
   * @param url the object
   * @param body its bytes or text (UTF-8)
   * @param options `ifMatch` / `ifNoneMatch` conditions and content type
   * @returns the written object's description
   * @throws {StoragePreconditionError} when a condition does not hold; nothing is written
   * @throws {StorageError} when the store cannot be reached or refuses
   */
  put(url: string, body: Uint8Array | string, options?: PutObjectOptions): Promise<ObjectInfo>;
  /**
   * Uploads a local file; large files go as a multipart upload, which is aborted when a part
   * fails, so the object appears only when complete.
   *
   * @param url the object
   * @param path the local file
   * @param options multipart threshold, part size and content type
   * @returns the written object's description
   * @throws {StorageError} when the store cannot be reached or refuses; nothing is written
   */
  upload(url: string, path: string, options?: UploadOptions): Promise<ObjectInfo>;
  /**
   * Lists the objects whose key starts with a prefix, sorted by key.
   *
   * @param prefixUrl `s3://bucket/prefix`
   * @returns every object under it
   * @throws {StorageError} when the store cannot be reached or refuses
   */
  list(prefixUrl: string): Promise<ObjectInfo[]>;
  /**
   * Deletes an object; deleting a missing object succeeds.
   *
   * @param url the object
   * @throws {StorageError} when the store cannot be reached or refuses
   */
  delete(url: string): Promise<void>;
}
