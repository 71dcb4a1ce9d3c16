/**
 * The service's app around a holder with nothing promoted, for tests of what the app checks
 * before any model is needed (tokens, origins, request ids, header limits).
 *
 * @module
 */
import { createApp, ModelHolder } from "../../src/serve/mod.ts";
import type { AppOptions } from "../../src/serve/mod.ts";

/** The loopback address the tests call from unless they say otherwise. */
export const LOOPBACK: Deno.Addr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 };

/**
 * Builds the app on an empty temporary project.
 *
 * @param options app options (tokens, CORS origins, limits, logger)
 * @returns `call(path, init, remoteAddr)` and `close()`
 * @example
 * ```ts
 * const s = await emptyApp({ corsOrigins: ["https://a.example"] });
 * try { await s.call("/v1/health"); } finally { await s.close(); }
 * ```
 */
export async function emptyApp(options: AppOptions = {}) {
  const root = await Deno.makeTempDir();
  const holder = new ModelHolder(
    { production_dir: "models/production", project: "penguins" },
    root,
  );
  await holder.refresh();
  const app = createApp(holder, options);
  return {
    app,
    call: (path: string, init: RequestInit = {}, remoteAddr: Deno.Addr = LOOPBACK) =>
      Promise.resolve(app.fetch(new Request(`http://localhost${path}`, init), { remoteAddr })),
    close: async () => {
      await holder.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}
