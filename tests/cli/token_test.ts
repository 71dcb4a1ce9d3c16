import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/mod.ts";
import { tokenSha256 } from "../../src/serve/mod.ts";
import { parse } from "yaml";
import { runCli } from "../_helpers/project.ts";

Deno.test("token prints a new token, its sha256 and a serve.tokens entry that config accepts", async () => {
  const root = await Deno.makeTempDir();
  try {
    const result = await runCli("token.ts", ["--name", "ci-deploy", "--scope", "admin"], root);
    assert.equal(result.code, 0, result.stderr);
    const token = result.stdout.match(/^token: +(\S+)$/m)?.[1];
    const sha256 = result.stdout.match(/^sha256: +(\S+)$/m)?.[1];
    assert.match(token ?? "", /^dmt_[A-Za-z0-9_-]{43}$/);
    assert.equal(sha256, tokenSha256(token!));
    const entry = result.stdout.match(/^ {2}- (\{.*\})$/m)?.[1];
    assert.deepEqual(parse(entry!), { name: "ci-deploy", scope: "admin", sha256 });
    const config = parseConfig({ serve: { tokens: [parse(entry!)] } });
    assert.deepEqual(config.serve.tokens, [{ name: "ci-deploy", scope: "admin", sha256 }]);

    const again = await runCli("token.ts", [], root);
    assert.notEqual(again.stdout.match(/^token: +(\S+)$/m)?.[1], token, "a new token each time");
    assert.match(again.stdout, /name: client, scope: predict/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("token refuses an unknown scope or a name that is not plain", async () => {
  const root = await Deno.makeTempDir();
  try {
    const scope = await runCli("token.ts", ["--scope", "root"], root);
    assert.equal(scope.code, 2);
    assert.match(scope.stderr, /--scope must be one of predict, admin, got "root"/);
    const name = await runCli("token.ts", ["--name", "a b"], root);
    assert.equal(name.code, 2);
    assert.match(name.stderr, /--name must be 1 to 64 letters/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
