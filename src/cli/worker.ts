/**
 * `deno task worker --queue redis://HOST:PORT [--lock-ms MS] [--concurrency N] [--config F]`:
 * takes study trials and prediction partitions from the work queue and runs them, until
 * SIGINT or SIGTERM. The first signal lets the running job finish; a second drops it (another
 * worker runs it once its lock expires).
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { UsageError } from "../errors.ts";
import { runQueueWorker } from "../pipelines/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import {
  CONFIG_ARG_SPEC,
  configOptionsFromArgs,
  formatUsage,
  integerOption,
  parseTaskArgs,
} from "./_args.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [...CONFIG_ARG_SPEC.options, "queue", "lock-ms", "concurrency"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    queue: "the work queue: redis://HOST:PORT[/DB] (required)",
    "lock-ms":
      "how long a job's lock lasts without renewal: a killed worker's job runs elsewhere this long after (default 30000)",
    concurrency: "jobs run at once in this process (default 1)",
  },
};

await runTask("worker", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage(
      "worker",
      SPEC,
      "Run study trials and prediction partitions from the work queue until SIGINT or SIGTERM. Each job is refused when it was made by another code version, or (trials) when this machine's data differs.",
    ));
    return 0;
  }
  const url = args.options["queue"];
  if (!url) {
    throw new UsageError("Cannot start the worker: --queue redis://HOST:PORT is required");
  }
  const lockMs = integerOption(args.options, "lock-ms", 100);
  const concurrency = integerOption(args.options, "concurrency", 1);
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);

  const stop = new AbortController();
  const stopNow = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      console.error("worker: stopping after the running job (signal again to drop it)…");
      stop.abort();
    } else if (signals === 2) {
      stopNow.abort();
    } else {
      Deno.exit(130);
    }
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    await runQueueWorker(url, {
      signal: stop.signal,
      stopNow: stopNow.signal,
      root: loaded.root,
      ...(lockMs === undefined ? {} : { lockMs }),
      ...(concurrency === undefined ? {} : { concurrency }),
    });
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  console.error("worker: stopped");
});
