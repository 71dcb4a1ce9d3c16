/**
 * A Jupyter client for the Deno kernel: starts `deno jupyter --kernel` with a connection file,
 * speaks the Jupyter messaging protocol (v5.3, HMAC-SHA256 signed) over {@link ZmtpSocket}s and
 * always shuts the kernel process down. Private to `src/notebook/`.
 *
 * Spec: https://jupyter-client.readthedocs.io/en/stable/messaging.html
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { resolve } from "node:path";
import { KernelError } from "../errors.ts";
import type { Logger } from "../utils/mod.ts";
import { ZmtpSocket } from "./_zmtp.ts";
import { errorText, isRecord } from "./_util.ts";

/** The header of a Jupyter message. */
export interface MessageHeader {
  /** Unique id of this message. */
  msg_id: string;
  /** The client session that sent it. */
  session: string;
  /** Who sent it. */
  username: string;
  /** ISO 8601 time it was sent. */
  date: string;
  /** e.g. `execute_request`, `stream`, `status`. */
  msg_type: string;
  /** Messaging protocol version. */
  version: string;
}

/** One decoded Jupyter message. */
export interface JupyterMessage {
  /** This message's header. */
  header: MessageHeader;
  /** The header of the request this message answers, or `{}`. */
  parent_header: Partial<MessageHeader>;
  /** Free-form metadata. */
  metadata: Record<string, unknown>;
  /** The message body; its shape depends on `header.msg_type`. */
  content: Record<string, unknown>;
}

/** How {@link KernelClient.start} starts the kernel. */
export interface KernelStartOptions {
  /** The kernel's working directory (the notebook's folder, so relative imports resolve). */
  cwd: string;
  /** Folder for the connection file (hidden, owner-only, removed at shutdown). */
  connectionDir: string;
  /** Milliseconds allowed until the kernel answers `kernel_info_request`. */
  startTimeoutMs: number;
  /** Where progress and kernel stderr are logged. */
  logger: Logger;
  /** The command line that starts the kernel; `{conn}` is replaced by the connection file. */
  command: readonly string[];
}

/** How one `execute_request` ended. */
export type ExecuteOutcome =
  | { kind: "ok"; executionCount: number | null }
  | { kind: "error"; executionCount: number | null; reply: Record<string, unknown> }
  | { kind: "timeout" }
  | { kind: "died"; code: number | null; signal: string | null }
  | { kind: "interrupted" };

/** Options of {@link KernelClient.execute}. */
export interface ExecuteOptions {
  /** Milliseconds the cell may run before the outcome is `timeout`. */
  timeoutMs: number;
  /**
   * Called with every iopub message that answers this request, in order, except `status` and
   * `execute_input`. It stays registered after `execute` returns: the Deno kernel may publish a
   * cell's last stream output after its idle status, and such late output still reaches it.
   */
  onOutput: (message: JupyterMessage) => void;
  /** Aborting it ends the wait with `interrupted` (the caller then shuts the kernel down). */
  signal?: AbortSignal | undefined;
}

/** What the kernel said about itself in `kernel_info_reply`. */
export interface KernelInfo {
  /** e.g. `"deno"`. */
  implementation: string;
  /** e.g. `"2.9.6"`. */
  implementation_version: string;
  /** The `language_info` block to store in the notebook's metadata. */
  language_info: Record<string, unknown>;
  /** The messaging protocol version the kernel speaks. */
  protocol_version: string;
}

const DELIMITER = "<IDS|MSG>";
const PROTOCOL_VERSION = "5.3";
// After execute_reply, iopub may still be delivering the last outputs and the idle status.
const IDLE_GRACE_MS = 5000;
const SHUTDOWN_GRACE_MS = 2000;
const KILL_GRACE_MS = 2000;
const STDERR_TAIL_BYTES = 16384;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A running Deno kernel and the three channels the runner uses: shell, control and iopub.
 *
 * @example
 * ```ts
 * const kernel = await KernelClient.start({ cwd: "notebooks", startTimeoutMs: 30000, logger, command });
 * try {
 *   const outcome = await kernel.execute("1 + 1", { timeoutMs: 5000, onOutput: console.log });
 * } finally {
 *   await kernel.shutdown();
 * }
 * ```
 */
export class KernelClient {
  #child: Deno.ChildProcess;
  #connectionFile: string;
  #key: Uint8Array;
  #session = crypto.randomUUID();
  #logger: Logger;
  #shell: ZmtpSocket | null = null;
  #control: ZmtpSocket | null = null;
  #iopub: ZmtpSocket | null = null;
  #replies = new Map<string, (message: JupyterMessage) => void>();
  #listeners = new Map<string, (message: JupyterMessage) => void>();
  #exit: Promise<Deno.CommandStatus>;
  #exitStatus: Deno.CommandStatus | null = null;
  #stderrTail = "";
  #drains: Promise<void>[] = [];
  #loops: Promise<void>[] = [];
  #protocolProblem: string | null = null;
  #brokenResolve!: (value: "broken") => void;
  #broken = new Promise<"broken">((resolve) => (this.#brokenResolve = resolve));
  #info: KernelInfo | null = null;
  #shutDown = false;
  #lastIopubAt = 0;

  /**
   * Wraps a spawned kernel process; use {@link KernelClient.start} instead.
   *
   * @param child the kernel process, with piped stdout and stderr
   * @param connectionFile the connection file, removed at shutdown
   * @param key the HMAC key written into the connection file
   * @param logger where progress is logged
   */
  constructor(child: Deno.ChildProcess, connectionFile: string, key: Uint8Array, logger: Logger) {
    this.#child = child;
    this.#connectionFile = connectionFile;
    this.#key = key;
    this.#logger = logger;
    this.#exit = child.status.then((status) => {
      this.#exitStatus = status;
      return status;
    });
    this.#drains.push(
      this.#drain(child.stdout, (text) => logger.debug("Kernel stdout: {text}", { text })),
      this.#drain(child.stderr, (text) => {
        this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL_BYTES);
        logger.debug("Kernel stderr: {text}", { text });
      }),
    );
  }

  /**
   * Writes a connection file, starts the kernel and waits until it answers `kernel_info_request`.
   *
   * @param options working directory, start timeout, logger and command line
   * @returns the connected client; call {@link KernelClient.shutdown} when done
   * @throws {KernelError} when the kernel cannot be spawned, exits, or does not answer in time
   *   (the process is killed before throwing)
   * @example
   * ```ts
   * const kernel = await KernelClient.start({ cwd, startTimeoutMs: 30000, logger, command });
   * ```
   */
  static async start(options: KernelStartOptions): Promise<KernelClient> {
    const key = encoder.encode(randomHex(32));
    const ports = await freePorts(5);
    const connection = {
      transport: "tcp",
      ip: "127.0.0.1",
      shell_port: ports[0],
      iopub_port: ports[1],
      stdin_port: ports[2],
      control_port: ports[3],
      hb_port: ports[4],
      signature_scheme: "hmac-sha256",
      key: decoder.decode(key),
      kernel_name: "deno",
    };
    // Beside the executed copy rather than in the system temp folder, so the runner only ever
    // writes where its output goes; owner-only because it holds the signing key.
    const file = resolve(options.connectionDir, `.kernel-${randomHex(6)}.json`);
    await Deno.writeTextFile(file, JSON.stringify(connection, null, 2), { mode: 0o600 });
    const [program, ...args] = options.command.map((part) => part.replaceAll("{conn}", file));
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(program!, {
        args,
        cwd: options.cwd,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (cause) {
      await Deno.remove(file).catch(() => {});
      throw new KernelError(
        `Cannot start the Deno kernel with "${options.command.join(" ")}": ${errorText(cause)}`,
        { cause },
      );
    }
    const kernel = new KernelClient(child, file, key, options.logger);
    options.logger.debug("Kernel started (pid {pid}) in {cwd}", {
      pid: child.pid,
      cwd: options.cwd,
    });
    try {
      await kernel.#connect(connection, options.startTimeoutMs);
    } catch (error) {
      await kernel.shutdown();
      throw error;
    }
    return kernel;
  }

  /** The kernel's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** What the kernel reported in `kernel_info_reply`. */
  get info(): KernelInfo {
    if (this.#info === null) {
      throw new KernelError("Cannot read kernel info: the kernel has not answered");
    }
    return this.#info;
  }

  /** The last lines the kernel wrote on stderr. */
  get stderrTail(): string {
    return this.#stderrTail;
  }

  /** The exit status once the process has exited, else `null`. */
  get exitStatus(): Deno.CommandStatus | null {
    return this.#exitStatus;
  }

  /**
   * Runs one cell's code and streams its iopub messages to `onOutput`.
   *
   * Waits for both `execute_reply` on shell and `status: idle` on iopub. The Deno kernel may
   * publish the last stream output after the idle status; such output still reaches `onOutput`
   * later, and {@link KernelClient.settle} waits for it at the end of a run.
   *
   * @param code the cell's source
   * @param options timeout and output callback
   * @returns `ok`, `error` (with the reply), `timeout`, `died` when the process exited, or
   *   `interrupted` when `signal` was aborted
   * @throws {KernelError} when the kernel breaks the protocol (bad signature, closed socket) or
   *   the request cannot be sent to a kernel that is still running
   * @example
   * ```ts
   * const outcome = await kernel.execute("console.log(1)", { timeoutMs: 5000, onOutput });
   * ```
   */
  async execute(code: string, options: ExecuteOptions): Promise<ExecuteOutcome> {
    const request = this.#message("execute_request", {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    const id = request.header.msg_id;
    let idle!: () => void;
    const idleSeen = new Promise<void>((resolve) => (idle = resolve));
    this.#listeners.set(id, (message) => {
      const type = message.header.msg_type;
      if (type === "status") {
        if (message.content["execution_state"] === "idle") idle();
      } else if (type !== "execute_input") {
        options.onOutput(message);
      }
    });
    const reply = new Promise<JupyterMessage>((resolve) => this.#replies.set(id, resolve));
    const timers: ReturnType<typeof setTimeout>[] = [];
    const after = (ms: number) =>
      new Promise<"timeout">((resolve) => timers.push(setTimeout(() => resolve("timeout"), ms)));
    const died = this.#exit.then(() => "died" as const);
    const broken = this.#broken;
    let onAbort = () => {};
    const aborted = new Promise<"interrupted">((resolve) => {
      onAbort = () => resolve("interrupted");
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      try {
        await this.#send(this.#shell!, request);
      } catch (cause) {
        // The kernel may have exited after the previous cell: report that, not the write.
        await this.#waitExit(KILL_GRACE_MS);
        if (this.#exitStatus !== null) return this.#diedOutcome();
        throw new KernelError(
          `Cannot send the cell to the Deno kernel (pid ${this.#child.pid}): ${errorText(cause)}`,
          { cause },
        );
      }
      const deadline = after(options.timeoutMs);
      const first = await Promise.race([reply, deadline, died, broken, aborted]);
      if (first === "timeout") return { kind: "timeout" };
      if (first === "interrupted") return { kind: "interrupted" };
      if (first === "died") return this.#diedOutcome();
      if (first === "broken") {
        // A kernel that exits closes its sockets first: report the death, not the closed socket.
        await this.#waitExit(KILL_GRACE_MS);
        if (this.#exitStatus !== null) return this.#diedOutcome();
        throw new KernelError(this.#brokenMessage());
      }
      const settled = await Promise.race([idleSeen, after(IDLE_GRACE_MS), deadline, died, aborted]);
      if (settled === "died") return this.#diedOutcome();
      if (settled === "interrupted") return { kind: "interrupted" };
      if (settled === "timeout") {
        this.#logger.warning(
          "No idle status from the kernel within {ms} ms of the reply; outputs may be incomplete",
          { ms: IDLE_GRACE_MS },
        );
      }
      const content = first.content;
      const count = typeof content["execution_count"] === "number"
        ? content["execution_count"]
        : null;
      if (content["status"] === "ok") return { kind: "ok", executionCount: count };
      return { kind: "error", executionCount: count, reply: content };
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      for (const timer of timers) clearTimeout(timer);
      this.#replies.delete(id);
    }
  }

  /**
   * Waits until iopub has been quiet for `quietMs`, so late outputs of the last cell arrive.
   *
   * @param quietMs how long without an iopub message counts as quiet
   * @param maxMs the longest wait
   * @returns when iopub is quiet, the time is up, or the kernel has exited
   * @example
   * ```ts
   * await kernel.settle(100, 1000);
   * ```
   */
  async settle(quietMs: number, maxMs: number): Promise<void> {
    const end = performance.now() + maxMs;
    for (;;) {
      const now = performance.now();
      const quietAt = this.#lastIopubAt + quietMs;
      if (now >= quietAt || now >= end || this.#exitStatus !== null) return;
      await this.#waitExit(Math.min(quietAt, end) - now);
    }
  }

  /**
   * Stops the kernel: `shutdown_request` on control, then SIGTERM and SIGKILL if it lingers;
   * closes the sockets and removes the connection file. Safe to call twice.
   *
   * @returns the process's exit status
   * @example
   * ```ts
   * await kernel.shutdown();
   * ```
   */
  async shutdown(): Promise<Deno.CommandStatus> {
    if (!this.#shutDown) {
      this.#shutDown = true;
      if (this.#exitStatus === null && this.#control !== null && !this.#control.closed) {
        try {
          await this.#send(this.#control, this.#message("shutdown_request", { restart: false }));
        } catch {
          // The control socket is gone: the signals below still stop the process.
        }
        await this.#waitExit(SHUTDOWN_GRACE_MS);
      }
      for (const signal of ["SIGTERM", "SIGKILL"] as const) {
        if (this.#exitStatus !== null) break;
        try {
          this.#child.kill(signal);
        } catch {
          // It exited between the check and the kill.
        }
        await this.#waitExit(KILL_GRACE_MS);
      }
      for (const socket of [this.#shell, this.#control, this.#iopub]) socket?.close();
      await Promise.all([...this.#loops, ...this.#drains]);
      this.#listeners.clear();
      this.#replies.clear();
      await Deno.remove(this.#connectionFile).catch(() => {});
      this.#logger.debug("Kernel {pid} stopped", { pid: this.#child.pid });
    }
    return await this.#exit;
  }

  async #connect(connection: Record<string, unknown>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const host = String(connection["ip"]);
    const open = async (port: unknown, type: "DEALER" | "SUB") => {
      for (;;) {
        if (this.#exitStatus !== null) throw new KernelError(this.#startDiedMessage());
        try {
          return await ZmtpSocket.connect({
            host,
            port: Number(port),
            type,
            handshakeTimeoutMs: Math.max(100, deadline - Date.now()),
          });
        } catch (error) {
          if (Date.now() >= deadline) throw this.#startTimeoutError(timeoutMs, error);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    this.#shell = await open(connection["shell_port"], "DEALER");
    this.#control = await open(connection["control_port"], "DEALER");
    this.#iopub = await open(connection["iopub_port"], "SUB");
    this.#loops.push(
      this.#readLoop(this.#shell, (message) => {
        const parent = message.parent_header.msg_id;
        if (parent !== undefined) this.#replies.get(parent)?.(message);
      }),
      this.#readLoop(this.#control, () => {}),
      this.#readLoop(this.#iopub, (message) => {
        this.#lastIopubAt = performance.now();
        const parent = message.parent_header.msg_id;
        if (parent !== undefined) this.#listeners.get(parent)?.(message);
      }),
    );

    // The SUB socket misses whatever is published before its subscription lands, so ask for
    // kernel info until both the reply and its iopub status have arrived.
    for (;;) {
      if (this.#exitStatus !== null) throw new KernelError(this.#startDiedMessage());
      const request = this.#message("kernel_info_request", {});
      const id = request.header.msg_id;
      let heard!: () => void;
      const iopubHeard = new Promise<"heard">((resolve) => (heard = () => resolve("heard")));
      this.#listeners.set(id, heard);
      const reply = new Promise<JupyterMessage>((resolve) => this.#replies.set(id, resolve));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wait = new Promise<"wait">((resolve) => {
        timer = setTimeout(
          () => resolve("wait"),
          Math.min(1000, Math.max(1, deadline - Date.now())),
        );
      });
      try {
        await this.#send(this.#shell, request);
        const answer = await Promise.race([reply, wait]);
        if (answer !== "wait" && (await Promise.race([iopubHeard, wait])) === "heard") {
          this.#info = kernelInfo(answer.content);
          return;
        }
      } finally {
        clearTimeout(timer);
        this.#replies.delete(id);
        this.#listeners.delete(id);
      }
      if (this.#protocolProblem !== null) throw new KernelError(this.#brokenMessage());
      if (Date.now() >= deadline) throw this.#startTimeoutError(timeoutMs, null);
    }
  }

  async #readLoop(socket: ZmtpSocket, dispatch: (message: JupyterMessage) => void): Promise<void> {
    for (let frames = await socket.receive(); frames !== null; frames = await socket.receive()) {
      const message = this.#decode(frames);
      if (message !== null) dispatch(message);
    }
    if (!this.#shutDown) this.#markBroken(`a closed connection (${socket.closeReason})`);
  }

  #decode(frames: Uint8Array[]): JupyterMessage | null {
    const at = frames.findIndex((frame) => decoder.decode(frame) === DELIMITER);
    if (at < 0 || frames.length < at + 6) {
      this.#markBroken("a message without the <IDS|MSG> delimiter and its five frames");
      return null;
    }
    const [signature, header, parent, metadata, content] = frames.slice(at + 1, at + 6) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const expected = encoder.encode(this.#sign([header, parent, metadata, content]));
    if (expected.length !== signature.length || !timingSafeEqual(expected, signature)) {
      this.#markBroken("a message with a wrong HMAC signature");
      return null;
    }
    try {
      return {
        header: JSON.parse(decoder.decode(header)),
        parent_header: JSON.parse(decoder.decode(parent)),
        metadata: JSON.parse(decoder.decode(metadata)),
        content: JSON.parse(decoder.decode(content)),
      };
    } catch {
      this.#markBroken("a message whose JSON does not parse");
      return null;
    }
  }

  #message(type: string, content: Record<string, unknown>): JupyterMessage {
    return {
      header: {
        msg_id: crypto.randomUUID(),
        session: this.#session,
        username: "deno-mlops",
        date: new Date().toISOString(),
        msg_type: type,
        version: PROTOCOL_VERSION,
      },
      parent_header: {},
      metadata: {},
      content,
    };
  }

  async #send(socket: ZmtpSocket, message: JupyterMessage): Promise<void> {
    const parts = [message.header, message.parent_header, message.metadata, message.content].map(
      (part) => encoder.encode(JSON.stringify(part)),
    );
    await socket.send([encoder.encode(DELIMITER), encoder.encode(this.#sign(parts)), ...parts]);
  }

  #sign(parts: readonly Uint8Array[]): string {
    const hmac = createHmac("sha256", this.#key);
    for (const part of parts) hmac.update(part);
    return hmac.digest("hex");
  }

  #markBroken(problem: string): void {
    if (this.#protocolProblem !== null) return;
    this.#protocolProblem = problem;
    this.#brokenResolve("broken");
  }

  #brokenMessage(): string {
    const problem = this.#protocolProblem ?? "nothing it should have";
    return `Cannot talk to the Deno kernel (pid ${this.#child.pid}): it sent ${problem}`;
  }

  #diedOutcome(): ExecuteOutcome {
    const status = this.#exitStatus!;
    return { kind: "died", code: status.code, signal: status.signal };
  }

  #startDiedMessage(): string {
    const status = this.#exitStatus!;
    return `Cannot start the Deno kernel: it exited with code ${status.code} before answering${
      tail(this.#stderrTail)
    }`;
  }

  #startTimeoutError(timeoutMs: number, cause: unknown): KernelError {
    return new KernelError(
      `Cannot start the Deno kernel: it did not answer kernel_info_request within ${timeoutMs} ms; check that "deno jupyter --kernel" works, or raise the start timeout${
        tail(this.#stderrTail)
      }`,
      { cause },
    );
  }

  async #waitExit(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#exit,
      new Promise((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
  }

  async #drain(stream: ReadableStream<Uint8Array>, onText: (text: string) => void): Promise<void> {
    const textDecoder = new TextDecoder();
    try {
      for await (const chunk of stream) onText(textDecoder.decode(chunk, { stream: true }));
    } catch {
      // The pipe broke because the process was killed: nothing more to read.
    }
  }
}

function kernelInfo(content: Record<string, unknown>): KernelInfo {
  return {
    implementation: String(content["implementation"] ?? "unknown"),
    implementation_version: String(content["implementation_version"] ?? "unknown"),
    language_info: isRecord(content["language_info"]) ? content["language_info"] : {},
    protocol_version: String(content["protocol_version"] ?? "unknown"),
  };
}

async function freePorts(count: number): Promise<number[]> {
  // Hold every listener until all ports are known, so the same port is never returned twice.
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" }),
  );
  const ports = listeners.map((listener) => (listener.addr as Deno.NetAddr).port);
  for (const listener of listeners) listener.close();
  return await Promise.resolve(ports);
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)))
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

function tail(stderr: string): string {
  const lines = kernelStderrLines(stderr);
  return lines.length === 0
    ? ""
    : `\nKernel stderr:\n${lines.map((line) => `  ${line}`).join("\n")}`;
}

/**
 * The last lines a kernel wrote on stderr, without colours, blank lines and the warning that
 * `deno jupyter` is unstable.
 *
 * @param stderr the text the kernel wrote
 * @returns at most the last 20 lines
 * @example
 * ```ts
 * kernelStderrLines("error: boom\n"); // ["error: boom"]
 * ```
 */
export function kernelStderrLines(stderr: string): string[] {
  return stripAnsi(stderr)
    .split("\n")
    .filter((line) => line.trim() !== "" && !/"deno jupyter" is unstable/.test(line))
    .slice(-20);
}

/**
 * Removes ANSI escape sequences (colours, cursor moves) from kernel text.
 *
 * @param text text that may hold escape sequences
 * @returns the plain text
 * @example
 * ```ts
 * stripAnsi("\x1b[31mError\x1b[0m"); // "Error"
 * ```
 */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g, "");
}
