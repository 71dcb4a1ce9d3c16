/**
 * Shared helpers of the benchmarks: machine description, peak-memory sampling of a child process,
 * and writing one section of bench/RESULTS.md between markers.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

/** A one-line description of this machine and the code measured. */
export async function describeMachine(): Promise<string> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const model = cpuinfo.match(/model name\s*:\s*(.+)/)?.[1]?.trim() ?? "unknown CPU";
  const cores = navigator.hardwareConcurrency;
  const memInfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const memKb = Number(memInfo.match(/MemTotal:\s*(\d+)/)?.[1] ?? 0);
  const commit = await new Deno.Command("git", {
    args: ["rev-parse", "--short", "HEAD"],
    cwd: ROOT,
  })
    .output().then((o) => new TextDecoder().decode(o.stdout).trim()).catch(() => "unknown");
  return `${model}, ${cores} cores, ${
    (memKb / 1024 / 1024).toFixed(0)
  } GiB RAM; Deno ${Deno.version.deno}; commit ${commit}`;
}

/** Result of {@link runMeasured}. */
export interface MeasuredRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
  /** User + system CPU seconds of the process, all its threads (/proc/<pid>/stat, sampled). */
  cpuSeconds: number;
  /** Peak resident set size in MiB (VmHWM, sampled every 25 ms). */
  peakRssMiB: number;
}

/** Options of {@link runMeasured}. */
export interface RunMeasuredOptions {
  /** Working directory; default the project root. */
  cwd?: string;
  /** The child's whole environment (nothing else is inherited); default: inherit ours. */
  env?: Record<string, string>;
  /** Kill the child (SIGKILL) after this many ms; default: never. */
  timeoutMs?: number;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * Runs a command and samples its CPU time and peak resident memory from /proc until it exits.
 *
 * @param command the executable
 * @param args its arguments
 * @param options working directory, environment and timeout
 * @returns exit code, output, wall time, CPU time and peak RSS
 */
export async function runMeasured(
  command: string,
  args: string[],
  options: RunMeasuredOptions = {},
): Promise<MeasuredRun> {
  const started = performance.now();
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd ?? ROOT,
    ...(options.env ? { env: options.env, clearEnv: true } : {}),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let cpuTicks = 0;
  let peakKb = 0;
  const timer = setInterval(() => {
    try {
      const stat = Deno.readTextFileSync(`/proc/${child.pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      cpuTicks = Math.max(cpuTicks, Number(fields[11]) + Number(fields[12]));
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      peakKb = Math.max(peakKb, Number(status.match(/VmHWM:\s*(\d+)/)?.[1] ?? 0));
    } catch {
      // The process has exited.
    }
  }, 25);
  const killer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, options.timeoutMs);
  const output = await child.output();
  clearInterval(timer);
  clearTimeout(killer);
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: cpuTicks / TICKS_PER_SECOND,
    peakRssMiB: peakKb / 1024,
  };
}

/**
 * Replaces the section `name` of bench/RESULTS.md (between `<!-- name:begin -->` and
 * `<!-- name:end -->`), or appends it.
 *
 * @param name the section name
 * @param markdown the section body
 */
export async function writeResultsSection(name: string, markdown: string): Promise<void> {
  const path = `${ROOT}/bench/RESULTS.md`;
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  let text = await Deno.readTextFile(path).catch(() =>
    "# Benchmark results\n\nEach section is rewritten by the benchmark named in it.\n"
  );
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  text = start >= 0 && stop > start
    ? text.slice(0, start) + block + text.slice(stop + end.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  await Deno.writeTextFile(path, text);
}

/** Median of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** How many times every system predicts the test split; the fastest counts. */
export const PREDICT_REPEATS = 3;

/**
 * Runs `fn` `PREDICT_REPEATS` times and returns its last result with the fastest time: a single
 * prediction of a few tenths of a second varies with whatever else the machine does.
 *
 * @param fn the work to time
 * @returns the result and the fastest run's seconds
 */
export function fastestOf<T>(fn: () => T): { result: T; seconds: number } {
  let seconds = Infinity;
  let result!: T;
  for (let i = 0; i < PREDICT_REPEATS; i++) {
    const start = performance.now();
    result = fn();
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  return { result, seconds };
}
