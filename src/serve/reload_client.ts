/**
 * The client side of `POST /v1/admin/reload`: tells a service running on this machine to load
 * production now (`deno task deploy` calls it after a promotion).
 *
 * @module
 */
import { ServiceReloadError } from "../errors.ts";

/** What a reload request found. */
export type ReloadOutcome =
  | {
    /** Nothing listens at `url`: the service is not running (it loads production at start). */
    listening: false;
    /** The reload URL. */
    url: string;
  }
  | {
    /** A service answered. */
    listening: true;
    /** The reload URL. */
    url: string;
    /**
     * The run the service serves after the reload for the project asked (the service's default
     * project when none was), or `null` when it serves none.
     */
    runId: string | null;
    /** Whether the service swapped in a new run (of any project). */
    reloaded: boolean;
    /** Why the service's last load of that project failed, or `null`. */
    error: string | null;
  };

/** Options of {@link requestReload}. */
export interface RequestReloadOptions {
  /**
   * Milliseconds to wait for the answer (loading a run takes a moment).
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * The project (`project.name`) whose served run to report; `null` reports the service's
   * default project.
   * @default null
   */
  project?: string | null;
  /**
   * A bearer token of scope `admin`, sent as `Authorization: Bearer <token>`; needed when the
   * service has `serve.tokens` (`deno task deploy` reads it from `DENO_MLOPS_ADMIN_TOKEN`).
   * @default null
   */
  token?: string | null;
}

/** Defaults of {@link RequestReloadOptions}. */
export const DEFAULT_REQUEST_RELOAD_OPTIONS: Readonly<Required<RequestReloadOptions>> = {
  timeoutMs: 30_000,
  project: null,
  token: null,
};

/**
 * Returns the reload URL of the service configured by `serve`: a wildcard host (`0.0.0.0`,
 * `::`) is reached on loopback, where the reload route answers.
 *
 * @param serve `config.serve` (host and port)
 * @returns e.g. `http://127.0.0.1:8000/v1/admin/reload`
 * @example
 * ```ts
 * reloadUrl({ host: "0.0.0.0", port: 8000 }); // "http://127.0.0.1:8000/v1/admin/reload"
 * ```
 */
export function reloadUrl(serve: { host: string; port: number }): string {
  const bare = serve.host.replace(/^\[|\]$/g, "");
  const host = bare === "0.0.0.0" ? "127.0.0.1" : bare === "::" ? "::1" : bare;
  return `http://${host.includes(":") ? `[${host}]` : host}:${serve.port}/v1/admin/reload`;
}

/**
 * Asks the service configured by `serve` to load production now (every project's).
 *
 * @param serve `config.serve` (host and port)
 * @param options how long to wait for the answer, and which project to report
 * @returns whether a service listens, and what it serves after the reload
 * @throws {ServiceReloadError} when the service refuses (403 from a non-loopback address, 404
 *   from a version without the route) or does not answer in time
 * @throws {Deno.errors.NotCapable} when the process may not connect to the host
 * @example
 * ```ts
 * const outcome = await requestReload(config.serve);
 * if (outcome.listening) console.log(outcome.runId);
 * ```
 */
export async function requestReload(
  serve: { host: string; port: number },
  options: RequestReloadOptions = {},
): Promise<ReloadOutcome> {
  const { timeoutMs, project, token } = { ...DEFAULT_REQUEST_RELOAD_OPTIONS, ...options };
  const url = reloadUrl(serve);
  const { hostname, port } = new URL(url);
  // Connect first: a refused connection is a typed error here, not a message to parse.
  try {
    const connection = await Deno.connect({
      hostname: hostname.replace(/^\[|\]$/g, ""),
      port: Number(port),
    });
    connection.close();
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return { listening: false, url };
    throw error;
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: token === null ? {} : { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "TimeoutError") {
      throw new ServiceReloadError(
        `Cannot reload the service at ${url}: it did not answer within ${timeoutMs} ms; check the service log`,
        { cause },
      );
    }
    throw cause;
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Reported below with the status.
  }
  if (response.status !== 200 || typeof body["reloaded"] !== "boolean") {
    const detail = typeof body["message"] === "string" ? body["message"] : text.slice(0, 200);
    throw new ServiceReloadError(
      `Cannot reload the service at ${url}: it answered ${response.status} (${detail}); ${
        response.status === 404
          ? "the service predates the reload route, restart it"
          : response.status === 401 || response.status === 403
          ? "set DENO_MLOPS_ADMIN_TOKEN to a token of scope admin (deno task token --scope admin)"
          : "check serve.host and the service log"
      }`,
    );
  }
  // A service of several projects lists each under `models`; one from before lists none.
  const models = body["models"];
  const entry: Record<string, unknown> = project === null
    ? body
    : typeof models === "object" && models !== null && Object.hasOwn(models, project)
    ? (models as Record<string, Record<string, unknown>>)[project] ?? {}
    : typeof models === "object" && models !== null
    ? { run_id: null, error: `the service does not serve project "${project}"` }
    : body;
  return {
    listening: true,
    url,
    runId: typeof entry["run_id"] === "string" ? entry["run_id"] : null,
    reloaded: body["reloaded"],
    error: typeof entry["error"] === "string" ? entry["error"] : null,
  };
}
