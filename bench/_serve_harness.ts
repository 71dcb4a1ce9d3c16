/**
 * What the service benches share: a temporary penguins project, training, the real service as
 * a subprocess on loopback, request bodies, and reading its metrics and memory.
 *
 * @module
 */
import { loadConfig } from "../src/config/mod.ts";
import { runTraining } from "../src/pipelines/mod.ts";
import { ROOT } from "./_results.ts";

/** A temporary project with the shipped config and the penguins data; returns its root. */
export async function makeProject(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "deno-mlops-load-" });
  await Deno.writeTextFile(`${root}/deno.json`, "{}\n");
  await Deno.mkdir(`${root}/config/profiles`, { recursive: true });
  await Deno.mkdir(`${root}/data/raw`, { recursive: true });
  for (const name of ["config.yaml", "model_config.yaml", "logging_config.yaml"]) {
    await Deno.copyFile(`${ROOT}/config/${name}`, `${root}/config/${name}`);
  }
  // The default profile config.yaml names.
  await Deno.copyFile(
    `${ROOT}/config/profiles/penguins.yaml`,
    `${root}/config/profiles/penguins.yaml`,
  );
  await Deno.copyFile(`${ROOT}/data/raw/penguins.csv`, `${root}/data/raw/penguins.csv`);
  return root;
}

/** Trains the project's default profile for `epochs` epochs; returns the run id. */
export async function train(
  root: string,
  epochs: number,
  overrides: readonly string[] = [],
): Promise<string> {
  const loaded = await loadConfig({
    root,
    overrides: [`training.epochs=${epochs}`, ...overrides],
  });
  const result = await runTraining(loaded);
  result.model.dispose();
  return result.id;
}

/** A service started by {@link startServer}. */
export interface Server {
  child: Deno.ChildProcess;
  url: string;
  logFile: string;
}

/**
 * Starts `deno task serve` on a free loopback port in `root`, JSON access log to a file.
 *
 * @param root the project
 * @param extra more arguments, e.g. `["--set", "serve.batching.enabled=false"]`
 * @returns the child, its URL and its log file
 */
export async function startServer(root: string, extra: readonly string[] = []): Promise<Server> {
  const logFile = `${root}/serve-${crypto.randomUUID().slice(0, 8)}.log`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      `--config=${ROOT}/deno.json`,
      `${ROOT}/src/cli/serve.ts`,
      "--set",
      "serve.port=0",
      "--set",
      "logging.format=json",
      "--set",
      `logging.file=${logFile}`,
      ...extra,
    ],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 60_000;
  while (!/listening on (\S+)/.test(text)) {
    if (Date.now() > deadline) throw new Error("the server did not start within 60 s");
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server exited before listening: ${text}`);
    text += value;
  }
  // Keep draining stdout so the server never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return { child, url: text.match(/listening on (\S+)/)![1]!, logFile };
}

/** A process's resident memory (VmRSS), in MiB. */
export function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/VmRSS:\s*(\d+)/)?.[1] ?? 0) / 1024;
}

// ---------------------------------------------------------------- requests

const ISLANDS = ["Biscoe", "Dream", "Torgersen"];

/** `count` plausible penguins, varied by `seed`. */
export function makeRows(count: number, seed: number): Record<string, string | number>[] {
  // Plausible penguins, varied so no two requests are identical.
  const rows = [];
  for (let i = 0; i < count; i++) {
    const k = (seed * 7919 + i * 104729) % 1000;
    rows.push({
      Island: ISLANDS[k % 3]!,
      "Beak Length (mm)": 35 + (k % 200) / 10,
      "Beak Depth (mm)": 14 + (k % 70) / 10,
      "Flipper Length (mm)": 180 + (k % 45),
      "Body Mass (g)": 3000 + (k % 30) * 100,
      Sex: k % 2 === 0 ? "MALE" : "FEMALE",
    });
  }
  return rows;
}

/** `variants` JSON request bodies of `rowsPerRequest` rows each. */
export function bodies(rowsPerRequest: number, variants: number): string[] {
  return Array.from(
    { length: variants },
    (_, v) => JSON.stringify({ rows: makeRows(rowsPerRequest, v + rowsPerRequest) }),
  );
}

/** Reads sample `name` (with its labels, if any) from the server's /metrics; 0 when absent. */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1) ?? 0);
}

/** The `q` quantile of sorted values (`NaN` when empty). */
export function quantile(sorted: number[], q: number): number {
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
