import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { projectProductionDir, promoteRun, readProductionPointer } from "../../src/models/mod.ts";
import { runTraining } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject, REPO_ROOT } from "../_helpers/project.ts";

/** The `deploy` task line proposed for deno.json: least privilege, loopback network only. */
const DEPLOY_TASK =
  "deno run --no-prompt --allow-read=. --allow-env --allow-ffi=node_modules --allow-sys=cpus,networkInterfaces,hostname --allow-write=models --allow-net=127.0.0.1,localhost src/cli/deploy.ts";

/**
 * Runs the deploy task with exactly its permissions in `root`: relative paths resolve against
 * `root`, plus the repository's sources and node_modules (the temporary project has none).
 */
async function deploy(
  root: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const declared = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`)).tasks?.deploy;
  if (declared !== undefined) assert.equal(declared.command, DEPLOY_TASK);
  const flags = DEPLOY_TASK.split(" ").slice(2).map((part) => {
    const match = part.match(/^--allow-(read|write|ffi)=(.+)$/);
    if (match === null) return part.startsWith("src/") ? `${REPO_ROOT}/${part}` : part;
    const paths = match[2]!.split(",").map((p) => (p === "." ? root : `${root}/${p}`));
    if (match[1] !== "write") paths.push(`${REPO_ROOT}/node_modules`);
    if (match[1] === "read") paths.push(`${REPO_ROOT}/src`, `${REPO_ROOT}/deno.json`);
    return `--allow-${match[1]}=${paths.join(",")}`;
  });
  const script = flags.pop()!;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", `--config=${REPO_ROOT}/deno.json`, ...flags, script, ...args],
    cwd: root,
    env: { NO_COLOR: "1", CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Starts `deno task serve` on a free loopback port; it never polls on its own (10 min). */
async function startService(root: string): Promise<{ child: Deno.ChildProcess; url: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--config=${REPO_ROOT}/deno.json`,
      `${REPO_ROOT}/src/cli/serve.ts`,
      "--set",
      "serve.port=0",
      "--poll-interval",
      "600000",
      "--no-access-log",
    ],
    cwd: root,
    env: { NO_COLOR: "1", CI: "true" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server exited before listening:\n${text}`);
    text += value;
  }
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return { child, url: text.match(/listening on (\S+)/)![1]! };
}

Deno.test("deno task deploy promotes through the gate, then makes the running service load the run", async (t) => {
  const root = await makeTempProject();
  const ids: string[] = [];
  {
    using _logs = captureLogs({ level: "error" });
    for (const epochs of [6, 8]) {
      const result = await runTraining(
        await loadConfig({ root, overrides: [`training.epochs=${epochs}`] }),
      );
      result.model.dispose();
      ids.push(result.id);
    }
    const { registry } = (await loadConfig({ root })).config;
    await promoteRun(registry, "penguins", { runId: ids[0]!, force: true, reason: "test" });
  }
  const [first, second] = ids as [string, string];
  const { registry } = (await loadConfig({ root })).config;
  const service = await startService(root);
  const port = new URL(service.url).port;
  const ready = async () => (await (await fetch(`${service.url}/v1/ready`)).json()).run_id;
  const reloadCalls = async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    return Number(
      text.match(/route="\/v1\/admin\/reload",method="POST",status="200"\} (\d+)/)?.[1] ?? 0,
    );
  };
  try {
    await t.step(
      "a refusal of the gate exits 1 and leaves production and the service alone",
      async () => {
        // No run can beat production by 1 (f1 is at most 1): the gate refuses.
        const refused = await deploy(root, [
          "--run",
          second,
          "--set",
          "registry.min_improvement=1",
          "--set",
          `serve.port=${port}`,
        ]);
        assert.equal(refused.code, 1, refused.stdout);
        assert.match(refused.stderr, /^deploy: Cannot promote run/m);
        assert.equal(
          (await readProductionPointer(projectProductionDir(registry.production_dir, "penguins")))
            ?.run_id,
          first,
        );
        assert.equal(await ready(), first);
        assert.equal(await reloadCalls(), 0);
      },
    );

    await t.step("a promotion makes the service serve the run at once", async () => {
      const deployed = await deploy(root, [
        "--run",
        second,
        "--force",
        "--reason",
        "test deploy",
        "--set",
        `serve.port=${port}`,
      ]);
      assert.equal(deployed.code, 0, deployed.stderr);
      assert.match(
        deployed.stdout,
        new RegExp(`^force-promoted ${second} \\(replacing ${first}\\)`),
      );
      assert.match(
        deployed.stdout,
        new RegExp(
          `service at http://127\\.0\\.0\\.1:${port}/v1/admin/reload now serves ${second}`,
        ),
      );
      // The service polls every 10 minutes: only the reload request can have swapped the run.
      assert.equal(await ready(), second);
      assert.equal(await reloadCalls(), 1);
    });

    await t.step("--force without --reason is a usage error", async () => {
      const usage = await deploy(root, ["--run", first, "--force"]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /Cannot force a deployment without a reason/);
      assert.equal(await ready(), second);
    });
  } finally {
    service.child.kill("SIGTERM");
    await service.child.status;
  }

  await t.step(
    "a service that keeps its old run (its load failed) makes the task exit 1",
    async () => {
      // Production holds `second`; each case promotes the other run (a promotion stands either way).
      const cases: Array<[string, number, unknown, RegExp]> = [
        [
          first,
          200,
          { run_id: second, reloaded: false, error: "Cannot load the production model: boom" },
          new RegExp(
            `Cannot deploy ${first} .*: it still serves ${second} \\(Cannot load the production model: boom\\)`,
          ),
        ],
        [
          second,
          403,
          { error: "forbidden", message: "Cannot reload the model for client 10.0.0.1" },
          /Cannot reload the service at .*: it answered 403 \(Cannot reload the model for client 10\.0\.0\.1\)/,
        ],
      ];
      for (const [run, status, body, message] of cases) {
        const fake = Deno.serve(
          { hostname: "127.0.0.1", port: 0, onListen: () => {} },
          () => Response.json(body, { status }),
        );
        try {
          const failed = await deploy(root, [
            "--run",
            run,
            "--force",
            "--reason",
            "test",
            "--set",
            `serve.port=${fake.addr.port}`,
          ]);
          assert.equal(failed.code, 1, failed.stdout);
          assert.match(failed.stderr, message);
          assert.equal(
            (await readProductionPointer(projectProductionDir(registry.production_dir, "penguins")))
              ?.run_id,
            run,
          );
        } finally {
          await fake.shutdown();
        }
      }
    },
  );

  await t.step("with no service listening, the promotion stands and the task exits 0", async () => {
    const deployed = await deploy(root, [
      "--run",
      first,
      "--force",
      "--reason",
      "roll forward while the service is down",
      "--set",
      `serve.port=${port}`,
    ]);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(
      deployed.stdout,
      new RegExp(
        `no service listens at http://127\\.0\\.0\\.1:${port}/v1/admin/reload; it serves ${first} when it starts`,
      ),
    );
    assert.equal(
      (await readProductionPointer(projectProductionDir(registry.production_dir, "penguins")))
        ?.run_id,
      first,
    );
  });
});
