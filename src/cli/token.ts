/**
 * `deno task token [--name N] [--scope predict|admin]`: prints a new random bearer token for
 * the prediction service, its sha256, and the `serve.tokens` entry to paste into config (or
 * into `DENO_MLOPS__SERVE__TOKENS`). The token goes to the client (a secret store, an
 * environment variable); only the entry goes into config. Nothing is written to disk.
 *
 * @module
 */
import { TOKEN_SCOPES } from "../config/mod.ts";
import type { TokenScope } from "../config/mod.ts";
import { UsageError } from "../errors.ts";
import { generateToken, tokenSha256 } from "../serve/mod.ts";
import { formatUsage, parseTaskArgs } from "./_args.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  options: ["name", "scope"],
  descriptions: {
    name: "a label for the token in config and logs, e.g. ci-deploy (default: client)",
    scope:
      "predict (every route but admin) or admin (every route, reload included); default predict",
  },
};

await runTask("token", () => Promise.resolve(makeToken()));

/** Parses the arguments, prints the token and its entry; returns the exit status. */
function makeToken(): number {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(
      formatUsage(
        "token",
        SPEC,
        "Print a new bearer token for the prediction service, its sha256 and the serve.tokens entry for config.",
      ),
    );
    return 0;
  }
  const name = args.options["name"] ?? "client";
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new UsageError(
      `Cannot make a token: --name must be 1 to 64 letters, digits, ".", "_" or "-", got ${
        JSON.stringify(name)
      }; e.g. --name ci-deploy`,
    );
  }
  const scope = args.options["scope"] ?? "predict";
  if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) {
    throw new UsageError(
      `Cannot make a token: --scope must be one of ${TOKEN_SCOPES.join(", ")}, got ${
        JSON.stringify(scope)
      }`,
    );
  }
  const token = generateToken();
  const sha256 = tokenSha256(token);
  console.log(
    [
      `token:  ${token}`,
      `sha256: ${sha256}`,
      "",
      "Give the token to the client only (a secret store or an environment variable); it is shown once.",
      "Add this entry under serve.tokens in config/config.yaml (or DENO_MLOPS__SERVE__TOKENS):",
      `  - { name: ${name}, scope: ${scope as TokenScope}, sha256: ${sha256} }`,
    ].join("\n"),
  );
  return 0;
}
