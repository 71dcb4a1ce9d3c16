/**
 * `deno task serve [--config F] [--port N] [--host H] [--set serve.port=8080]`: serves the
 * production model of every promoted project over HTTP on `serve.host:serve.port`
 * (`POST /v1/models/<name>/predict`; `POST /v1/predict` for the config's project, the default;
 * `GET /v1/models` lists them) until SIGTERM or SIGINT, then finishes in-flight requests and
 * exits. `--port` and `--host` are short for `--set serve.port=N` and
 * `--set serve.host=H`, and win over them.
 *
 * Prints to stdout once listening: `listening on http://HOST:PORT (run ID)` (the default
 * project's run), then `models: NAME (run ID, default), ...`.
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
  options: [...CONFIG_ARG_SPEC.options, "port", "host", "poll-interval", "gc-every"],
  flags: ["no-access-log"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    port: "the port to listen on, 0 to 65535 (0: any free port); default serve.port (8000)",
    host: "the address to listen on, e.g. 0.0.0.0; default serve.host (127.0.0.1)",
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
        "Serve the production model of every promoted project over HTTP: POST /v1/models/<name>/predict, and POST /v1/predict for the config's project (host and port from serve.* in config).",
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
  const listen = listenOverrides(args.options["port"], args.options["host"]);
  const configOptions = configOptionsFromArgs(args);
  const loaded = await loadConfig({
    ...configOptions,
    overrides: [...configOptions.overrides, ...listen],
    env: Deno.env.toObject(),
  });
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
        `Cannot serve on ${loaded.config.serve.host}:${loaded.config.serve.port}: the port is in use; stop the other process or pass --port <free port>`,
      );
    }
    throw error;
  }
  const running = server;
  const served = running.holder.current?.runId;
  const listening = `listening on ${running.url} (${
    served === undefined
      ? `no model yet: ${running.holder.lastError ?? "loading"}`
      : `run ${served}`
  })`;
  const models = running.models.holders().map((holder) => {
    const run = holder.current?.runId ?? "no model yet";
    return `${holder.project} (${run}${holder === running.holder ? ", default" : ""})`;
  });
  // One write, so a reader that waits for "listening on" has the models line too.
  console.log(`${listening}\nmodels: ${models.join(", ")}`);

  const stop = () => void running.shutdown();
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  await running.finished;
  for (const signal of signals) Deno.removeSignalListener(signal, stop);
  console.log("stopped");
  return 0;
});

/** Turns `--port` and `--host` into `serve.*` overrides, applied after every `--set`. */
function listenOverrides(port: string | undefined, host: string | undefined): string[] {
  const overrides: string[] = [];
  if (port !== undefined) {
    const value = /^\d{1,5}$/.test(port) ? Number(port) : Number.NaN;
    if (!(value >= 0 && value <= 65535)) {
      throw new UsageError(
        `Cannot serve: --port must be a whole number from 0 to 65535 (0: any free port), got "${port}"; e.g. --port 8080`,
      );
    }
    overrides.push(`serve.port=${value}`);
  }
  if (host !== undefined) {
    if (!/^[A-Za-z0-9.:\-\[\]]+$/.test(host)) {
      throw new UsageError(
        `Cannot serve: --host must be a host name or IP address, got "${host}"; e.g. --host 0.0.0.0`,
      );
    }
    overrides.push(`serve.host=${JSON.stringify(host)}`);
  }
  return overrides;
}
