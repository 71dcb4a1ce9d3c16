/**
 * The error a request handler throws to answer with a client error status (400, 404, 405, 413,
 * 415, 422, 503) and a JSON body, never a stack trace.
 *
 * @module
 */

/** One problem in a request, located by row and column where it has a location. */
export interface RequestProblem {
  /** 1-based row of the request (CSV: data row, header excluded), or `null` for the whole body. */
  row: number | null;
  /** The field or column at fault, or `null` when the problem is not about one field. */
  column: string | null;
  /** What is wrong and, where known, how to fix it. */
  message: string;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  /** A stable machine-readable code, e.g. `invalid_rows`, `body_too_large`. */
  error: string;
  /** What failed, the state found and the fix, in one sentence. */
  message: string;
  /** Every problem found, when the request had located problems (422). */
  problems?: RequestProblem[];
}

/**
 * A request cannot be answered as asked; the service turns it into `status` and an
 * {@link ErrorBody}.
 *
 * @example
 * ```ts
 * throw new RequestRejectedError(415, "unsupported_media_type", `Cannot read the body: media type "text/plain" is not accepted, send application/json or text/csv`);
 * ```
 */
export class RequestRejectedError extends Error {
  /** The HTTP status to answer with (4xx or 503). */
  readonly status: number;
  /** The stable error code of the body. */
  readonly code: string;
  /** Located problems; empty when the error is about the request as a whole. */
  readonly problems: RequestProblem[];
  /** Extra response headers, e.g. `Allow` for 405 or `Retry-After` for 503. */
  readonly headers: Record<string, string>;

  /**
   * @param status the HTTP status, 400 to 599
   * @param code the stable error code
   * @param message what failed and how to fix it
   * @param options located problems, extra headers and the wrapped cause
   * @throws {RangeError} when `status` is not an HTTP error status
   */
  constructor(
    status: number,
    code: string,
    message: string,
    options: { problems?: RequestProblem[]; headers?: Record<string, string>; cause?: unknown } =
      {},
  ) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(
        `Cannot create RequestRejectedError: status ${status} is not an HTTP error status (400-599)`,
      );
    }
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "RequestRejectedError";
    this.status = status;
    this.code = code;
    this.problems = options.problems ?? [];
    this.headers = options.headers ?? {};
  }

  /**
   * The JSON body to send.
   *
   * @returns `{ error, message, problems? }`
   * @example
   * ```ts
   * new RequestRejectedError(400, "invalid_json", "Cannot parse the body").toBody();
   * // { error: "invalid_json", message: "Cannot parse the body" }
   * ```
   */
  toBody(): ErrorBody {
    return this.problems.length > 0
      ? { error: this.code, message: this.message, problems: this.problems }
      : { error: this.code, message: this.message };
  }
}
