/**
 * Object storage over the S3 API (AWS S3, MinIO, R2 and other S3-compatible servers): the
 * `ObjectStore` contract (streaming get, head, conditional put, list, delete, multipart upload),
 * its implementation with the AWS SDK v3, settings from the standard AWS environment variables,
 * and whole-object transfers to and from local files. The data sources (`s3://` inputs and
 * outputs) and the registry (runs and production under an `s3://` prefix) build on it.
 *
 * @module
 */
export { formatS3Url, isS3Url, joinS3Url, parseS3Url } from "./location.ts";
export type { S3Location } from "./location.ts";
export { DEFAULT_UPLOAD_OPTIONS } from "./object_store.ts";
export type {
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutObjectOptions,
  UploadOptions,
} from "./object_store.ts";
export { DEFAULT_S3_SETTINGS, readS3Settings } from "./settings.ts";
export type { S3Settings } from "./settings.ts";
export { closeObjectStores, openObjectStore, S3ObjectStore } from "./s3_store.ts";
export { downloadObject, readObjectText, sha256File } from "./transfer.ts";
export type { DownloadedObject } from "./transfer.ts";
