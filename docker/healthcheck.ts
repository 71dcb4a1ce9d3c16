/**
 * The serving image's health check: asks `GET /v1/health` on the port the service listens on and
 * exits 0 when it answers 200. The port is read from the same config the service reads
 * (`config/config.yaml`, then `DENO_MLOPS__SERVE__PORT`), so moving the service moves the check.
 *
 *   deno run --no-prompt --allow-read=. --allow-env --allow-ffi=node_modules \
 *     --allow-sys=cpus,networkInterfaces,hostname --allow-net=127.0.0.1 docker/healthcheck.ts
 *
 * The ffi and sys permissions are the config loader's (it imports nodejs-polars), as in every task.
 *
 * @module
 */
import { loadConfig } from "../src/config/mod.ts";

const { config } = await loadConfig({ env: Deno.env.toObject() });
const response = await fetch(`http://127.0.0.1:${config.serve.port}/v1/health`, {
  signal: AbortSignal.timeout(2000),
});
await response.body?.cancel();
Deno.exit(response.ok ? 0 : 1);
