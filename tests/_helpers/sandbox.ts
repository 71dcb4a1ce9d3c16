/**
 * Sandbox probes: for each task, a small script run with exactly that task's permission flags
 * tries what the task must never do (serve writing a file, train reading outside the project,
 * train opening a network connection, ...), and reports each attempt as `denied` or `allowed`.
 *
 * @module
 */
import { makeTempProject } from "./project.ts";
import { runWithTaskPermissions, TASKS } from "./tasks.ts";

/** One forbidden action of a task. */
export interface SandboxAttempt {
  /** The task whose permissions apply. */
  task: string;
  /** What is tried, e.g. `write models/pwned.txt`. */
  action: string;
  /** TypeScript run in the probe; `ROOT` and `OUTSIDE` are in scope. */
  code: string;
  /**
   * `denied` for a forbidden action; `allowed` for a control that shows the probe runs with the
   * task's real permissions (a probe denied everything would prove nothing).
   */
  expected: "denied" | "allowed";
}

/** An attempt and how it ended. */
export interface SandboxResult extends SandboxAttempt {
  /** `denied` (NotCapable), `allowed`, or `error <name>: <message>` for anything else. */
  outcome: string;
}

const write = (path: string) => `await Deno.writeTextFile(${path}, "pwned")`;
const read = (path: string) => `await Deno.readTextFile(${path})`;
const connect = "(await Deno.connect({ hostname: '127.0.0.1', port: 9 })).close()";
const fetchOut = "await fetch('http://example.com/')";
const spawn = "await new Deno.Command('sh', { args: ['-c', 'true'] }).output()";

/** Every attempt, by task. */
export const SANDBOX_ATTEMPTS: readonly SandboxAttempt[] = [
  {
    task: "serve",
    action: "write models/pwned.txt",
    code: write("`${ROOT}/models/pwned.txt`"),
    expected: "denied",
  },
  {
    task: "serve",
    action: "write data/processed/pwned.txt",
    code: write("`${ROOT}/data/processed/pwned.txt`"),
    expected: "denied",
  },
  {
    task: "serve",
    action: "write a file outside the project",
    code: write("`${OUTSIDE}/pwned.txt`"),
    expected: "denied",
  },
  { task: "serve", action: "connect to example.com", code: fetchOut, expected: "denied" },
  { task: "serve", action: "run a subprocess", code: spawn, expected: "denied" },
  {
    task: "serve",
    action: "read a file outside the project",
    code: read("`${OUTSIDE}/secret.txt`"),
    expected: "denied",
  },
  {
    task: "train",
    action: "read a file outside the project",
    code: read("`${OUTSIDE}/secret.txt`"),
    expected: "denied",
  },
  { task: "train", action: "read /etc/passwd", code: read("'/etc/passwd'"), expected: "denied" },
  {
    task: "train",
    action: "write data/raw/pwned.csv",
    code: write("`${ROOT}/data/raw/pwned.csv`"),
    expected: "denied",
  },
  { task: "train", action: "open a network connection", code: connect, expected: "denied" },
  { task: "train", action: "run a subprocess other than git", code: spawn, expected: "denied" },
  // predict holds --allow-net: `predict --queue redis://HOST:PORT` reaches the user's Redis.
  {
    task: "predict",
    action: "write models/pwned.txt",
    code: write("`${ROOT}/models/pwned.txt`"),
    expected: "denied",
  },
  {
    task: "predict",
    action: "read a file outside the project",
    code: read("`${OUTSIDE}/secret.txt`"),
    expected: "denied",
  },
  { task: "predict", action: "run a subprocess", code: spawn, expected: "denied" },
  {
    task: "evaluate",
    action: "write models/pwned.txt",
    code: write("`${ROOT}/models/pwned.txt`"),
    expected: "denied",
  },
  { task: "evaluate", action: "open a network connection", code: connect, expected: "denied" },
  {
    task: "promote",
    action: "write data/raw/pwned.csv",
    code: write("`${ROOT}/data/raw/pwned.csv`"),
    expected: "denied",
  },
  { task: "promote", action: "open a network connection", code: connect, expected: "denied" },
  {
    task: "rollback",
    action: "read a file outside the project",
    code: read("`${OUTSIDE}/secret.txt`"),
    expected: "denied",
  },
  // Controls: what each task needs is allowed.
  {
    task: "serve",
    action: "read config/config.yaml",
    code: read("`${ROOT}/config/config.yaml`"),
    expected: "allowed",
  },
  {
    task: "train",
    action: "write models/ok.txt",
    code: write("`${ROOT}/models/ok.txt`"),
    expected: "allowed",
  },
  {
    task: "predict",
    action: "write data/processed/ok.txt",
    code: write("`${ROOT}/data/processed/ok.txt`"),
    expected: "allowed",
  },
  {
    task: "promote",
    action: "write models/ok.txt",
    code: write("`${ROOT}/models/ok.txt`"),
    expected: "allowed",
  },
];

/**
 * Runs every attempt with its task's permissions in a temporary project (one probe process per
 * task) and returns how each ended.
 *
 * @returns one result per attempt
 * @example
 * ```ts
 * const denied = (await runSandboxProbes()).every((r) => r.outcome === "denied");
 * ```
 */
export async function runSandboxProbes(): Promise<SandboxResult[]> {
  const root = await makeTempProject();
  const outside = await Deno.makeTempDir({ prefix: "deno-mlops-outside-" });
  await Deno.writeTextFile(`${outside}/secret.txt`, "secret");
  await Deno.mkdir(`${root}/models`, { recursive: true });
  await Deno.mkdir(`${root}/data/processed`, { recursive: true });
  const results: SandboxResult[] = [];
  try {
    const tasks = [...new Set(SANDBOX_ATTEMPTS.map((a) => a.task))];
    for (const task of tasks) {
      const attempts = SANDBOX_ATTEMPTS.filter((a) => a.task === task);
      const probe = `${root}/probe_${task}.ts`;
      await Deno.writeTextFile(probe, probeScript(root, outside, attempts));
      const output = await runWithTaskPermissions(task, probe, root);
      const line = output.stdout.split("\n").find((l) => l.startsWith("["));
      if (line === undefined) {
        throw new Error(`the ${task} probe printed no result:\n${output.stdout}\n${output.stderr}`);
      }
      const outcomes = JSON.parse(line) as string[];
      attempts.forEach((attempt, i) => results.push({ ...attempt, outcome: outcomes[i]! }));
    }
  } finally {
    await Deno.remove(outside, { recursive: true }).catch(() => {});
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  return results;
}

/**
 * The tasks that must not reach the network at all: no `--allow-net` flag of any kind.
 *
 * @returns the offline tasks with the flag they hold, if any (`null` when none)
 * @example
 * ```ts
 * offlineTasks(); // { train: null, evaluate: null, reproduce: null, ... }
 * ```
 */
export function offlineTasks(): Record<string, string | null> {
  const names = ["train", "evaluate", "reproduce", "drift", "promote", "rollback"];
  return Object.fromEntries(names.map((name) => [
    name,
    TASKS[name]?.command.match(/--allow-net\S*/)?.[0] ?? null,
  ]));
}

function probeScript(root: string, outside: string, attempts: readonly SandboxAttempt[]): string {
  return [
    `const ROOT = ${JSON.stringify(root)};`,
    `const OUTSIDE = ${JSON.stringify(outside)};`,
    `const out: string[] = [];`,
    `async function attempt(fn: () => Promise<unknown>) {`,
    `  try { await fn(); out.push("allowed"); }`,
    `  catch (e) { out.push(e instanceof Deno.errors.NotCapable ? "denied" : \`error \${(e as Error).name}: \${(e as Error).message}\`); }`,
    `}`,
    ...attempts.map((a) => `await attempt(async () => { ${a.code}; });`),
    `console.log(JSON.stringify(out));`,
    `void ROOT; void OUTSIDE;`,
  ].join("\n");
}
