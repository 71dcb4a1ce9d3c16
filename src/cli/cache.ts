/**
 * `deno task cache [--prune] [--max-size SIZE]`: lists the stage-cache entries under
 * `data/processed/cache/` with their node, size and the runs that use them; `--prune` removes
 * the entries no recorded run and not the current config use, or, with `--max-size`, keeps the
 * newest unused ones within that size.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { cacheKeysInUse, listCacheEntries, pruneCache, STAGE_CACHE_DIR } from "../pipelines/mod.ts";
import { getProjectLogger, setupLogging } from "../utils/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { formatTable } from "./_tables.ts";
import { runTask } from "./_task.ts";
import { UsageError } from "../errors.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  flags: ["prune"],
  options: [...CONFIG_ARG_SPEC.options, "max-size"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    prune: "remove entries that no recorded run and not the current config use",
    "max-size": "with --prune: keep the newest unused entries within this size (e.g. 500MB, 2GB)",
  },
};

const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
};

function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const unit = UNITS[(match?.[2] || "B").toUpperCase()];
  if (!match || unit === undefined) {
    throw new UsageError(
      `Cannot read --max-size "${text}": expected a number with an optional unit (B, KB, MB, GB, KiB, MiB, GiB), e.g. 500MB`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

await runTask("cache", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage(
      "cache",
      SPEC,
      "List the stage-cache entries, or remove the unused ones with --prune.",
    ));
    return 0;
  }
  if (args.options["max-size"] !== undefined && !args.flags["prune"]) {
    throw new UsageError(
      `Cannot use --max-size without --prune: write deno task cache --prune --max-size ${
        args.options["max-size"]
      }`,
    );
  }
  const maxBytes = args.options["max-size"] === undefined
    ? null
    : parseSize(args.options["max-size"]);
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const logger = getProjectLogger("pipeline");
  const dir = `${loaded.root}/${STAGE_CACHE_DIR}`;
  const usage = await cacheKeysInUse(loaded, logger);
  const usedBy = (key: string) => {
    const runs = usage.runs.get(key) ?? [];
    return [
      ...(usage.current.has(key) ? ["current config"] : []),
      ...(runs.length === 1 ? runs : runs.length > 1 ? [`${runs.length} runs`] : []),
    ].join(", ") || "-";
  };

  if (args.flags["prune"]) {
    const { removed, kept, leftovers } = await pruneCache(dir, {
      keep: usage.keys,
      maxBytes,
      logger,
    });
    const freed = removed.reduce((sum, e) => sum + e.bytes, 0);
    const left = kept.reduce((sum, e) => sum + e.bytes, 0);
    console.log(
      `Removed ${removed.length} entr${removed.length === 1 ? "y" : "ies"} (${formatBytes(freed)})${
        leftovers.length ? ` and ${leftovers.length} partial write(s) of interrupted runs` : ""
      }; kept ${kept.length} (${formatBytes(left)}) in ${dir}`,
    );
    return 0;
  }
  const entries = await listCacheEntries(dir);
  if (entries.length === 0) {
    console.log(`The stage cache is empty (${dir}); deno task train fills it.`);
    return 0;
  }
  console.log(formatTable(
    ["key", "node", "size", "created", "used by"],
    entries.map((e) => [
      e.key.slice(0, 12),
      e.node,
      formatBytes(e.bytes),
      e.created.slice(0, 16).replace("T", " "),
      usedBy(e.key),
    ]),
  ));
  const total = entries.reduce((sum, e) => sum + e.bytes, 0);
  const unused = entries.filter((e) => !usage.keys.has(e.key));
  console.log("");
  console.log(
    `${entries.length} entries, ${formatBytes(total)} in ${dir}; ${unused.length} unused (${
      formatBytes(unused.reduce((sum, e) => sum + e.bytes, 0))
    }): remove them with deno task cache --prune`,
  );
});
