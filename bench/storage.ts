/**
 * Object-storage round trip of the registry: a real penguins run folder published, fetched and
 * promoted on an S3-compatible server (s3rver, started here on loopback), side by side with the
 * local folder registry, in one process and one run so the ratios compare like with like.
 *
 *   deno run -A bench/storage.ts [--reps 7]
 *
 * Timed operations, each the median of the repetitions (local and s3 interleaved):
 * - publish: `writeRunFolder` of the run's files (local: atomic folder; s3: the same folder in
 *   the mirror, then every file uploaded with run.json last);
 * - fetch cold: `readRunFolder` with no local copy (s3: download all files, verify checksums);
 * - fetch warm: `readRunFolder` again (s3: one GET of run.json, the mirror verified);
 * - promote: `promoteRun` of a new run over the last (gate, production copy, pointer swap).
 *
 * A second, untimed pass sends the same operations through a counting proxy to give the number
 * of S3 requests each makes: on a real endpoint, add about one round trip per request. The
 * machine is shared with other work; the load average before the run is recorded.
 *
 * @module
 */
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import type { RegistryConfig } from "../src/config/mod.ts";
import { loadConfig } from "../src/config/mod.ts";
import {
  promoteRun,
  readRunFolder,
  registryMirrorDir,
  type RunRecord,
  writeRunFolder,
} from "../src/models/mod.ts";
import { runTraining } from "../src/pipelines/mod.ts";
import { closeObjectStores } from "../src/storage/mod.ts";
import { captureLogs } from "../src/utils/mod.ts";
import { makeTempProject } from "../tests/_helpers/project.ts";
import { startS3Proxy } from "../tests/_helpers/s3_proxy.ts";
import { freePort } from "../tests/_helpers/s3_server.ts";
import { describeMachine, median, writeResultsSection } from "./_results.ts";

const reps = Number(Deno.args[Deno.args.indexOf("--reps") + 1] ?? 7) || 7;

using _logs = captureLogs({ level: "fatal" });
const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ").slice(0, 3)
  .join(" ");
const machine = await describeMachine();

// -- a real run folder to move around
const root = await makeTempProject();
const trained = await runTraining(
  await loadConfig({ root, overrides: ["training.epochs=20"] }),
);
trained.model.dispose();
const source = await readRunFolder(`${root}/models/experiments`, trained.id);
const files: string[] = [];
let bytes = 0;
for (const [path] of Object.entries(source.record.artifacts)) {
  files.push(path);
  bytes += (await Deno.stat(`${source.dir}/${path}`)).size;
}
bytes += (await Deno.stat(`${source.dir}/run.json`)).size;

// -- s3rver on loopback, and the registry environment
const S3rver = (await import("s3rver")).default;
const s3Dir = await Deno.makeTempDir({ prefix: "bench-s3rver-" });
const port = freePort();
const server = new S3rver({ port, address: "127.0.0.1", silent: true, directory: s3Dir });
await server.run();
const endpoint = `http://127.0.0.1:${port}`;
const admin = new S3Client({
  region: "us-east-1",
  endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
});
await admin.send(new CreateBucketCommand({ Bucket: "bench" }));
admin.destroy();
const cache = await Deno.makeTempDir({ prefix: "bench-s3-cache-" });
const env = {
  AWS_ACCESS_KEY_ID: "S3RVER",
  AWS_SECRET_ACCESS_KEY: "S3RVER",
  AWS_REGION: "us-east-1",
  DENO_MLOPS_S3_CACHE: cache,
};
for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
Deno.env.set("AWS_ENDPOINT_URL_S3", endpoint);

const local: RegistryConfig = {
  experiments_dir: `${root}/bench/experiments`,
  production_dir: `${root}/bench/production`,
  primary_metric: "f1_macro",
  min_improvement: 0,
};
const remote: RegistryConfig = {
  ...local,
  experiments_dir: "s3://bench/experiments",
  production_dir: "s3://bench/production",
};

let serial = 0;
function nextRecord(): Omit<RunRecord, "artifacts"> {
  serial++;
  const { artifacts: _a, ...rest } = source.record;
  return { ...rest, id: `${trained.id.slice(0, 16)}-bench-${String(serial).padStart(4, "0")}` };
}
async function copyRun(dir: string): Promise<void> {
  for (const path of files) {
    const target = `${dir}/${path}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${source.dir}/${path}`, target);
  }
}
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

type Op = "publish" | "fetch cold" | "fetch warm" | "promote";
const OPS: Op[] = ["publish", "fetch cold", "fetch warm", "promote"];
const times: Record<"local" | "s3", Record<Op, number[]>> = {
  local: { publish: [], "fetch cold": [], "fetch warm": [], promote: [] },
  s3: { publish: [], "fetch cold": [], "fetch warm": [], promote: [] },
};

async function round(kind: "local" | "s3", registry: RegistryConfig): Promise<void> {
  const [written, publish] = await timed(() =>
    writeRunFolder(registry.experiments_dir, nextRecord(), copyRun)
  );
  const id = written.record.id;
  if (kind === "s3") {
    await Deno.remove(`${registryMirrorDir(registry.experiments_dir)}/${id}`, {
      recursive: true,
    });
  }
  const [, cold] = await timed(() => readRunFolder(registry.experiments_dir, id));
  const [, warm] = await timed(() => readRunFolder(registry.experiments_dir, id));
  const [, promote] = await timed(() =>
    promoteRun(registry, "penguins", { runId: id, force: true, reason: "bench" })
  );
  const t = times[kind];
  t.publish.push(publish);
  t["fetch cold"].push(cold);
  t["fetch warm"].push(warm);
  t.promote.push(promote);
}

// One untimed warm-up of each (module loading, first connections), then interleaved rounds.
await round("local", local);
await round("s3", remote);
for (const t of Object.values(times)) for (const op of OPS) t[op].length = 0;
for (let i = 0; i < reps; i++) {
  await round("local", local);
  await round("s3", remote);
}

// Requests per operation, counted through a proxy (untimed).
const proxy = startS3Proxy(endpoint);
closeObjectStores();
Deno.env.set("AWS_ENDPOINT_URL_S3", proxy.endpoint);
const requests: Record<Op, number> = { publish: 0, "fetch cold": 0, "fetch warm": 0, promote: 0 };
{
  let mark = proxy.requests.length;
  const count = (op: Op) => {
    requests[op] = proxy.requests.length - mark;
    mark = proxy.requests.length;
  };
  const written = await writeRunFolder(remote.experiments_dir, nextRecord(), copyRun);
  count("publish");
  await Deno.remove(written.dir, { recursive: true });
  mark = proxy.requests.length;
  await readRunFolder(remote.experiments_dir, written.record.id);
  count("fetch cold");
  await readRunFolder(remote.experiments_dir, written.record.id);
  count("fetch warm");
  await promoteRun(remote, "penguins", { runId: written.record.id, force: true, reason: "b" });
  count("promote");
}
closeObjectStores();
await proxy.close();
await server.close();
await Deno.remove(s3Dir, { recursive: true });
await Deno.remove(cache, { recursive: true });
await Deno.remove(root, { recursive: true });

const ms = (v: number) => v.toFixed(1);
const rows = OPS.map((op) => {
  const l = median(times.local[op]);
  const s = median(times.s3[op]);
  return `| ${op} | ${ms(l)} | ${ms(s)} | ${(s / l).toFixed(1)}× | ${requests[op]} |`;
});
const markdown = `## Object storage round trip (\`bench/storage.ts\`)

Machine: ${machine}. The machine is shared with other work; load average (1, 5, 15 min) before
the run: ${load}.
Task: a penguins run folder (${files.length + 1} files, ${
  (bytes / 1024).toFixed(0)
} KiB: model weights, features, schema, metrics, profile) written, read and promoted through the
registry API, local folders against an \`s3://\` prefix on s3rver ${"3.7.1"} on loopback (no
network latency: on a real endpoint add about one round trip per request). Median of ${reps}
interleaved repetitions, milliseconds. "fetch cold" has no local copy; "fetch warm" reuses the
verified mirror; "promote" puts a new run in production over the previous one (gate, production
copy, pointer swap, log).

| operation | local ms | s3 ms | s3 / local | S3 requests |
| --- | --- | --- | --- | --- |
${rows.join("\n")}
`;
await writeResultsSection("storage", markdown);
console.log(markdown);
