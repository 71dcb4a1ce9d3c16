/**
 * `deno task serve [--config F] [--set serve.port=8080]`: serves the production model over HTTP
 * on `serve.host:serve.port` until SIGTERM or SIGINT, then finishes in-flight requests and exits.
 *
 * Prints one line to stdout once listening: `listening on http://HOST:PORT (run ID)`.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { ConfigError } from "../errors.ts";
import { startServer } from "../serve/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { UsageError } from "../errors.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [...CONFIG_ARG_SPEC.options, "poll-interval", "gc-every"],
  flags: ["no-access-log"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    "poll-interval": "milliseconds between checks of production for a new run (default 1000)",
    "gc-every":
      "full garbage collection every N scoring calls when run with --v8-flags=--expose-gc (default 4; 0: leave it to V8)",
    "no-access-log": "do not log one line per request",
  },
};

await runTask("serve", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(
      formatUsage(
        "serve",
        SPEC,
        "Serve the production model over HTTP (host and port from serve.* in config).",
      ),
    );
    return 0;
  }
  const pollIntervalMs = Number(args.options["poll-interval"] ?? 1000);
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 10) {
    throw new UsageError(
      `Cannot serve: --poll-interval must be an integer of at least 10 (milliseconds), got "${
        args.options["poll-interval"]
      }"`,
    );
  }
  const gcEvery = Number(args.options["gc-every"] ?? 4);
  if (!Number.isInteger(gcEvery) || gcEvery < 0) {
    throw new UsageError(
      `Cannot serve: --gc-every must be a non-negative integer, got "${args.options["gc-every"]}"`,
    );
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  let server;
  try {
    server = await startServer(loaded, {
      pollIntervalMs,
      app: { accessLog: !args.flags["no-access-log"], collectGarbageEvery: gcEvery },
    });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new ConfigError(
        `Cannot serve on ${loaded.config.serve.host}:${loaded.config.serve.port}: the port is in use; stop the other process or pass --set serve.port=<free port>`,
      );
    }
    throw error;
  }
  const running = server;
  const served = running.holder.current?.runId;
  console.log(
    `listening on ${running.url} (${
      served === undefined
        ? `no model yet: ${running.holder.lastError ?? "loading"}`
        : `run ${served}`
    })`,
  );

  const stop = () => void running.shutdown();
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  await running.finished;
  for (const signal of signals) Deno.removeSignalListener(signal, stop);
  console.log("stopped");
  return 0;
});
