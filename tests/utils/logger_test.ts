import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  captureLogs,
  formatJsonLine,
  getProjectLogger,
  type LogRecord,
  resetLogging,
  resolveLogFormat,
  setupLogging,
} from "../../src/utils/logger.ts";
import { withCapturedLogs } from "../_helpers/logs.ts";

Deno.test("setupLogging() filters by the root level and by per-category levels", async () => {
  const logs = await withCapturedLogs(() => {
    getProjectLogger("data").debug("data debug");
    getProjectLogger("data.loader").debug("loader debug");
    getProjectLogger("models").debug("models debug");
    getProjectLogger("models").info("models info");
    getProjectLogger("models.train").info("train info");
    getProjectLogger("models.train").error("train error");
  }, { level: "info", categories: { data: "debug", "models.train": "error" } });
  assert.deepEqual(logs.map((l) => `${l.level} ${l.category} ${l.message}`), [
    "debug deno-mlops.data data debug",
    "debug deno-mlops.data.loader loader debug",
    "info deno-mlops.models models info",
    "error deno-mlops.models.train train error",
  ]);
});

Deno.test("setupLogging() can be called twice: the second setup replaces the first", () => {
  const first: LogRecord[] = [];
  const second: LogRecord[] = [];
  setupLogging({ level: "debug" }, (r) => first.push(r));
  setupLogging({ level: "warning" }, (r) => second.push(r));
  try {
    getProjectLogger("x").info("dropped");
    getProjectLogger("x").warn("kept");
  } finally {
    resetLogging();
  }
  assert.equal(first.length, 0);
  assert.deepEqual(second.map((r) => r.message.join("")), ["kept"]);
});

Deno.test("getProjectLogger() places records under the deno-mlops root category", async () => {
  const logs = await withCapturedLogs(() => {
    getProjectLogger("").info("root");
    getProjectLogger("serve").info("Listening on {port}", { port: 8000 });
  });
  assert.deepEqual(logs, [
    { level: "info", category: "deno-mlops", message: "root", properties: {} },
    {
      level: "info",
      category: "deno-mlops.serve",
      message: "Listening on 8000",
      properties: { port: 8000 },
    },
  ]);
  assert.throws(() => getProjectLogger("data..x"), { name: "TypeError", message: /empty part/ });
});

Deno.test("formatJsonLine() writes one JSON object with time, level, category, message and properties", () => {
  using logs = captureLogs();
  getProjectLogger("data").warn("Dropped {rows} rows", { rows: 11, column: "Sex" });
  const line = formatJsonLine(logs.records[0]!);
  assert.ok(line.endsWith("\n"));
  assert.equal(line.trimEnd().includes("\n"), false);
  const parsed = JSON.parse(line);
  assert.match(parsed.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.deepEqual({ ...parsed, time: "t" }, {
    time: "t",
    level: "warning",
    category: "deno-mlops.data",
    message: "Dropped 11 rows",
    properties: { rows: 11, column: "Sex" },
  });
  assert.deepEqual(logs.messages(), ["Dropped 11 rows"]);
});

Deno.test("setupLogging() appends JSON lines to the configured file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno_mlops_logs_" });
  const file = join(dir, "logs", "run.jsonl");
  try {
    setupLogging({ level: "info", file }, () => {});
    getProjectLogger("train").info("epoch {epoch}", { epoch: 1 });
    getProjectLogger("train").debug("not written");
    getProjectLogger("train").error("failed");
  } finally {
    resetLogging();
  }
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.level, l.category, l.message, l.properties]), [
    ["info", "deno-mlops.train", "epoch 1", { epoch: 1 }],
    ["error", "deno-mlops.train", "failed", {}],
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("setupLogging() throws ConfigError for a bad level or an unwritable log file", async () => {
  assert.throws(() => setupLogging({ level: "verbose" as "info" }), {
    name: "ConfigError",
    message: /logging\.level is "verbose", expected one of "trace"/,
  });
  assert.throws(() => setupLogging({ categories: { data: "loud" as "info" } }), {
    name: "ConfigError",
    message: /logging\.categories\.data is "loud"/,
  });
  const dir = await Deno.makeTempDir({ prefix: "deno_mlops_logs_" });
  const blocker = join(dir, "file");
  await Deno.writeTextFile(blocker, "");
  assert.throws(() => setupLogging({ file: join(blocker, "run.jsonl") }, () => {}), {
    name: "ConfigError",
    message: /Cannot open log file/,
  });
  resetLogging();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("resolveLogFormat() picks text only on a terminal outside CI", () => {
  assert.equal(resolveLogFormat("auto", { isTerminal: true, ci: false }), "text");
  assert.equal(resolveLogFormat("auto", { isTerminal: false, ci: false }), "json");
  assert.equal(resolveLogFormat("auto", { isTerminal: true, ci: true }), "json");
  assert.equal(resolveLogFormat("text", { isTerminal: false, ci: true }), "text");
  assert.equal(resolveLogFormat("json", { isTerminal: true, ci: false }), "json");
});

Deno.test("setupLogging() writes JSON lines to stderr, not stdout, when stderr is not a terminal", async () => {
  const logger = new URL("../../src/utils/logger.ts", import.meta.url).href;
  const code = `import { getProjectLogger, setupLogging } from "${logger}";
setupLogging({ format: "auto" });
getProjectLogger("cli").info("Trained {n} epochs", { n: 3 });
console.log("task output");`;
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code],
    cwd: root,
    env: { CI: "false", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.equal(new TextDecoder().decode(output.stdout), "task output\n");
  const line = JSON.parse(new TextDecoder().decode(output.stderr));
  assert.deepEqual([line.level, line.category, line.message], [
    "info",
    "deno-mlops.cli",
    "Trained 3 epochs",
  ]);
});
