import assert from "node:assert/strict";
import { makeTempProject, runCli } from "../_helpers/project.ts";
import { startService } from "../_helpers/service.ts";

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
  // An impossible serve.port from --set: the service only starts if --port wins over it.
  const service = await startService(root, [
    "--set",
    "serve.port=99999",
    "--port",
    "0",
    "--host",
    "127.0.0.1",
  ]);
  try {
    assert.match(service.url, /^http:\/\/127\.0\.0\.1:(\d+)$/);
    assert.notEqual(Number(new URL(service.url).port), 0, "port 0 asks for a free port");
    const health = await fetch(`${service.url}/v1/health`);
    await health.body?.cancel();
    assert.equal(health.status, 200);
  } finally {
    await service.stop();
    await Deno.remove(root, { recursive: true });
  }
});
