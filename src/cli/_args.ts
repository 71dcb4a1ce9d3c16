/**
 * Command-line argument parsing shared by the task entry files in `src/cli/`.
 *
 * Arguments are `--flag`, `--option value` or `--option=value`, repeatable `--multi value`, and
 * positionals; `--` ends the options. `--help` and `-h` are always accepted. Mistakes throw a
 * `UsageError` that names the closest known option, so every task that parses its arguments
 * here exits with the usage status (2, `EXIT_USAGE`) for bad arguments, and with 1 for a bad
 * config value (`ConfigError`).
 *
 * @module
 */
import { didYouMean, UsageError } from "../errors.ts";
import type { LoadConfigOptions } from "../config/mod.ts";

/** What a task accepts. Names are written without the leading `--`. */
export interface ArgSpec {
  /**
   * Boolean switches, e.g. `["dry-run"]`; `help` is always added.
   * @default []
   */
  flags?: readonly string[];
  /**
   * Options that take one value, e.g. `["config", "out"]`.
   * @default []
   */
  options?: readonly string[];
  /**
   * Options that may repeat, e.g. `["set"]`.
   * @default []
   */
  multi?: readonly string[];
  /**
   * Most positional arguments accepted.
   * @default 0
   */
  positional?: number;
  /**
   * One line of help per name (flag, option or multi), shown by {@link formatUsage}.
   * @default {}
   */
  descriptions?: Readonly<Record<string, string>>;
}

/** Defaults of {@link ArgSpec}. */
export const DEFAULT_ARG_SPEC: Readonly<Required<ArgSpec>> = {
  flags: [],
  options: [],
  multi: [],
  positional: 0,
  descriptions: {},
};

/** The spec of the config options every task accepts: `--config FILE` and `--set KEY=VALUE`. */
export const CONFIG_ARG_SPEC: Readonly<
  Required<Pick<ArgSpec, "options" | "multi" | "descriptions">>
> = {
  options: ["config"],
  multi: ["set"],
  descriptions: {
    config: "the profile instead of the default one, e.g. cars or config/profiles/cars.yaml",
    set: "override one value, e.g. --set training.epochs=5 (repeatable)",
  },
};

/** The result of {@link parseTaskArgs}. */
export interface ParsedArgs {
  /** Every declared flag (and `help`), `true` when given. */
  flags: Record<string, boolean>;
  /** The options that were given, by name. */
  options: Record<string, string>;
  /** Every declared multi option with its values in order (empty when not given). */
  multi: Record<string, string[]>;
  /** Positional arguments in order. */
  positional: string[];
}

/**
 * Parses a task's arguments against what it accepts.
 *
 * @param args the arguments, usually `Deno.args`
 * @param spec the flags, options, repeatable options and number of positionals accepted
 * @returns the flags, options, repeated options and positionals
 * @throws {UsageError} for an unknown option (naming the closest known one), a missing value,
 *   an option given twice, a value given to a flag, or too many positionals
 * @example
 * ```ts
 * const args = parseTaskArgs(["--config", "cars", "--set", "training.epochs=5"], {
 *   options: ["config"],
 *   multi: ["set"],
 * });
 * args.options.config; // "cars"
 * args.multi.set; // ["training.epochs=5"]
 * ```
 */
export function parseTaskArgs(args: readonly string[], spec: ArgSpec): ParsedArgs {
  const { flags, options, multi, positional } = { ...DEFAULT_ARG_SPEC, ...spec };
  const flagNames = [...new Set(["help", ...flags])];
  const known = [...flagNames, ...options, ...multi];
  const duplicate = known.find((name, i) => known.indexOf(name) !== i);
  if (duplicate !== undefined) {
    throw new TypeError(`Cannot parse arguments: "--${duplicate}" is declared twice in the spec`);
  }

  const result: ParsedArgs = {
    flags: Object.fromEntries(flagNames.map((name) => [name, false])),
    options: {},
    multi: Object.fromEntries(multi.map((name) => [name, []])),
    positional: [],
  };
  let onlyPositionals = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (onlyPositionals || !arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      result.positional.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    if (arg === "-h") {
      result.flags["help"] = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      throw new UsageError(
        `Cannot parse arguments: unknown option "${arg}"${
          didYouMean(arg.replace(/^-+/, ""), known).replace(/"(.+)"$/, '"--$1"')
        }, write options as --name`,
      );
    }
    const equals = arg.indexOf("=");
    const name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
    const inline = equals < 0 ? undefined : arg.slice(equals + 1);

    if (flagNames.includes(name)) {
      if (inline !== undefined) {
        throw new UsageError(
          `Cannot parse arguments: "--${name}" is a flag and takes no value, remove "=${inline}"`,
        );
      }
      result.flags[name] = true;
      continue;
    }
    if (options.includes(name) || multi.includes(name)) {
      let value = inline;
      if (value === undefined) {
        const next = args[i + 1];
        if (next === undefined || (next.startsWith("--") && next.length > 2)) {
          throw new UsageError(
            `Cannot parse arguments: "--${name}" needs a value, e.g. --${name} VALUE`,
          );
        }
        value = next;
        i++;
      }
      if (multi.includes(name)) {
        result.multi[name]!.push(value);
      } else if (Object.hasOwn(result.options, name)) {
        throw new UsageError(
          `Cannot parse arguments: "--${name}" is given twice ("${
            result.options[name]
          }" and "${value}"), give it once`,
        );
      } else {
        result.options[name] = value;
      }
      continue;
    }
    const hint = didYouMean(name, known);
    throw new UsageError(
      `Cannot parse arguments: unknown option "--${name}"${
        hint.replace(/"(.+)"$/, '"--$1"')
      }, run with --help to see the options`,
    );
  }
  if (result.positional.length > positional) {
    throw new UsageError(
      `Cannot parse arguments: expected at most ${positional} positional argument${
        positional === 1 ? "" : "s"
      }, got ${result.positional.length} (${result.positional.map((p) => `"${p}"`).join(", ")})`,
    );
  }
  return result;
}

/**
 * Maps `--config FILE` to the loader's `profile` and every `--set KEY=VALUE` to `overrides`.
 *
 * @param parsed arguments parsed with a spec that includes {@link CONFIG_ARG_SPEC}
 * @returns the `profile` and `overrides` options of `loadConfig`
 * @example
 * ```ts
 * const args = parseTaskArgs(Deno.args, { ...CONFIG_ARG_SPEC });
 * const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
 * ```
 */
export function configOptionsFromArgs(
  parsed: ParsedArgs,
): Required<Pick<LoadConfigOptions, "profile" | "overrides">> {
  return {
    profile: parsed.options["config"] ?? null,
    overrides: [...(parsed.multi["set"] ?? [])],
  };
}

/**
 * Formats the `--help` text of a task.
 *
 * @param taskName the task as typed after `deno task`, e.g. `"train"`
 * @param spec what the task accepts
 * @param description one paragraph saying what the task does
 * @returns the usage text, ending with a newline
 * @example
 * ```ts
 * if (args.flags.help) {
 *   console.log(formatUsage("train", spec, "Train a model and record the run."));
 * }
 * ```
 */
export function formatUsage(taskName: string, spec: ArgSpec, description: string): string {
  const { flags, options, multi, positional, descriptions } = { ...DEFAULT_ARG_SPEC, ...spec };
  const rows: [string, string][] = [
    ...options.map((name): [string, string] => [`--${name} <value>`, descriptions[name] ?? ""]),
    ...multi.map((name): [string, string] => [
      `--${name} <value>`,
      descriptions[name] ?? "(repeatable)",
    ]),
    ...flags.filter((name) => name !== "help").map((name): [string, string] => [
      `--${name}`,
      descriptions[name] ?? "",
    ]),
    ["-h, --help", "show this help"],
  ];
  const width = Math.max(...rows.map(([left]) => left.length));
  const args = positional === 0 ? "" : positional === 1 ? " [arg]" : ` [args...]`;
  const lines = [
    `Usage: deno task ${taskName} [options]${args}`,
    "",
    description,
    "",
    "Options:",
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd()),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * Reads an integer option of at least `min`.
 *
 * @param options the parsed options, e.g. `args.options`
 * @param name the option's name without `--`
 * @param min the smallest value accepted
 * @returns the value, or `undefined` when the option was not given
 * @throws {UsageError} when it is not an integer of at least `min`
 * @example
 * ```ts
 * integerOption({ trials: "20" }, "trials", 1); // 20
 * ```
 */
export function integerOption(
  options: Record<string, string>,
  name: string,
  min: number,
): number | undefined {
  const text = options[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(
      `Cannot parse arguments: --${name} is "${text}", expected an integer of at least ${min}`,
    );
  }
  return value;
}
