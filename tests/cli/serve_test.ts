import assert from "node:assert/strict";
import { makeTempProject, REPO_ROOT, runCli } from "../_helpers/project.ts";

Deno.test("serve refuses a bad --port or --host before loading anything", async () => {
  const root = await Deno.makeTempDir();
  for (const port of ["80a", "65536", "-1", "8080.5", ""]) {
    const result = await runCli("serve.ts", ["--port", port], root);
    assert.equal(result.code, 2, `--port "${port}": ${result.stderr}`);
    assert.match(
      result.stderr,
      new RegExp(
        `Cannot serve: --port must be a whole number from 0 to 65535 \\(0: any free port\\), got "${port}"; e\\.g\\. --port 8080`,
      ),
    );
  }
  const host = await runCli("serve.ts", ["--host", "a b"], root);
  assert.equal(host.code, 2, host.stderr);
  assert.match(host.stderr, /Cannot serve: --host must be a host name or IP address, got "a b"/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("serve listens on --host and --port, which win over --set serve.port", async () => {
  const root = await makeTempProject();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--config=${REPO_ROOT}/deno.json`,
      `${REPO_ROOT}/src/cli/serve.ts`,
      "--set",
      "serve.port=99999",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
    ],
    cwd: root,
    env: { NO_COLOR: "1", CI: "true" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on \S+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const url = text.match(/listening on (\S+)/)?.[1];
  try {
    assert.ok(url, text);
    assert.match(url, /^http:\/\/127\.0\.0\.1:(\d+)$/);
    assert.notEqual(Number(new URL(url).port), 0, "port 0 asks for a free port");
    const health = await fetch(`${url}/v1/health`);
    await health.body?.cancel();
    assert.equal(health.status, 200);
  } finally {
    child.kill("SIGTERM");
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
    await child.status;
    await stderr;
    await Deno.remove(root, { recursive: true });
  }
});
