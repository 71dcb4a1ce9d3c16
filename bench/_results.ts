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
  /** Peak resident set size in MiB (VmHWM, sampled every 25 ms). */
  peakRssMiB: number;
}

/**
 * Runs a command and samples its peak resident memory from /proc until it exits.
 *
 * @param command the executable
 * @param args its arguments
 * @param cwd the working directory
 * @returns exit code, output, wall time and peak RSS
 */
export async function runMeasured(
  command: string,
  args: string[],
  cwd = ROOT,
): Promise<MeasuredRun> {
  const started = performance.now();
  const child = new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" }).spawn();
  let peakKb = 0;
  const timer = setInterval(() => {
    try {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      peakKb = Math.max(peakKb, Number(status.match(/VmHWM:\s*(\d+)/)?.[1] ?? 0));
    } catch {
      // The process has exited.
    }
  }, 25);
  const output = await child.output();
  clearInterval(timer);
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    seconds: (performance.now() - started) / 1000,
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
