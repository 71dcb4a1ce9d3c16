/**
 * A minimal ZeroMQ client transport (ZMTP 3.0, NULL security) over `Deno.connect`, enough to talk
 * to a Jupyter kernel: DEALER sockets for shell and control, a SUB socket for iopub.
 *
 * Written in TypeScript so the runner needs nothing but Deno: no native addon, no Python.
 * Spec: https://rfc.zeromq.org/spec/23/ (ZMTP 3.0). Private to `src/notebook/`.
 *
 * @module
 */
import { errorText } from "./_util.ts";
import { ZmtpError } from "../errors.ts";

/** The socket types this transport speaks. */
export type ZmtpSocketType = "DEALER" | "SUB";

/** How {@link ZmtpSocket.connect} connects. */
export interface ZmtpConnectOptions {
  /** Host to connect to. */
  host: string;
  /** TCP port to connect to. */
  port: number;
  /** The socket type announced in the READY handshake. */
  type: ZmtpSocketType;
  /**
   * Topics to subscribe to (SUB only); `[""]` receives every message.
   * @default [""]
   */
  subscribe?: readonly string[];
  /**
   * Milliseconds allowed for the TCP connect and the handshake together.
   * @default 5000
   */
  handshakeTimeoutMs?: number;
}

const GREETING_SIZE = 64;
const FLAG_MORE = 0x01;
const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;
// A frame larger than this is refused: kernel messages are JSON documents, a chart's SVG at most.
const MAX_FRAME_BYTES = 1 << 30;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One connected ZMTP socket: sends multipart messages and queues the ones received.
 *
 * @example
 * ```ts
 * const shell = await ZmtpSocket.connect({ host: "127.0.0.1", port: 5555, type: "DEALER" });
 * await shell.send([new TextEncoder().encode("hello")]);
 * const reply = await shell.receive(); // Uint8Array[] or null once closed
 * shell.close();
 * ```
 */
export class ZmtpSocket {
  #conn: Deno.Conn;
  #buffer: Uint8Array = new Uint8Array(0);
  #queue: Uint8Array[][] = [];
  #waiters: ((message: Uint8Array[] | null) => void)[] = [];
  #closed = false;
  #closeReason: string | null = null;
  #writing: Promise<void> = Promise.resolve();
  #pump: Promise<void> | null = null;

  /**
   * Wraps a TCP connection that has not spoken yet; use {@link ZmtpSocket.connect} instead.
   *
   * @param conn the open connection
   */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /**
   * Connects, exchanges greetings and READY commands, and subscribes (SUB).
   *
   * @param options host, port, socket type, topics and handshake timeout
   * @returns the connected socket, already receiving in the background
   * @throws {ZmtpError} when the connection is refused, the peer is not ZMTP 3 with the NULL
   *   mechanism, or the handshake takes longer than `handshakeTimeoutMs`
   * @example
   * ```ts
   * const iopub = await ZmtpSocket.connect({ host: "127.0.0.1", port: 5556, type: "SUB" });
   * ```
   */
  static async connect(options: ZmtpConnectOptions): Promise<ZmtpSocket> {
    const { host, port, type } = options;
    const timeoutMs = options.handshakeTimeoutMs ?? 5000;
    const where = `tcp://${host}:${port}`;
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ hostname: host, port, transport: "tcp" });
    } catch (cause) {
      throw new ZmtpError(`Cannot connect ${type} socket to "${where}": ${errorText(cause)}`, {
        cause,
      });
    }
    const socket = new ZmtpSocket(conn);
    const timer = setTimeout(() => socket.#abort("handshake timed out"), timeoutMs);
    try {
      await socket.#handshake(type, where);
    } catch (cause) {
      socket.close();
      throw cause instanceof ZmtpError ? cause : new ZmtpError(
        `Cannot connect ${type} socket to "${where}": ${errorText(cause)}`,
        { cause },
      );
    } finally {
      clearTimeout(timer);
    }
    socket.#pump = socket.#receiveLoop();
    if (type === "SUB") {
      // ZMTP 3.0 subscriptions are messages whose first byte is 1; 3.1 peers accept them too.
      for (const topic of options.subscribe ?? [""]) {
        const body = encoder.encode(`\x01${topic}`);
        await socket.send([body]);
      }
    }
    return socket;
  }

  /** Whether the connection is closed (by either side). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Why the connection closed, or `null` while it is open. */
  get closeReason(): string | null {
    return this.#closeReason;
  }

  /**
   * Sends one multipart message.
   *
   * @param frames the message's frames, in order
   * @returns when the bytes are written
   * @throws {ZmtpError} when the socket is closed or the write fails
   * @example
   * ```ts
   * await socket.send([new TextEncoder().encode("<IDS|MSG>")]);
   * ```
   */
  send(frames: readonly Uint8Array[]): Promise<void> {
    if (frames.length === 0) throw new TypeError("Cannot send a message: it has no frames");
    const parts = frames.map((frame, i) =>
      encodeFrame(frame, i < frames.length - 1 ? FLAG_MORE : 0)
    );
    const bytes = concat(parts);
    // Writes are chained so that two concurrent sends never interleave their frames.
    const write = this.#writing.then(() => this.#writeAll(bytes));
    this.#writing = write.catch(() => {});
    return write;
  }

  /**
   * Waits for the next message.
   *
   * @returns the message's frames, or `null` once the socket is closed and the queue is empty
   * @example
   * ```ts
   * for (let message = await socket.receive(); message; message = await socket.receive()) {}
   * ```
   */
  receive(): Promise<Uint8Array[] | null> {
    const next = this.#queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Closes the connection; pending and later `receive()` calls return `null`.
   *
   * @example
   * ```ts
   * socket.close();
   * ```
   */
  close(): void {
    this.#abort("closed by this side");
  }

  /**
   * Closes the connection and waits for the background reader to stop.
   *
   * @returns when nothing of this socket is running any more
   * @example
   * ```ts
   * await socket.closeAndWait();
   * ```
   */
  async closeAndWait(): Promise<void> {
    this.close();
    await this.#pump;
  }

  #abort(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer: nothing left to release.
    }
    for (const waiter of this.#waiters.splice(0)) waiter(null);
  }

  async #handshake(type: ZmtpSocketType, where: string): Promise<void> {
    await this.#writeAll(greeting());
    const peer = await this.#readExactly(GREETING_SIZE);
    if (peer[0] !== 0xff || peer[9] !== 0x7f) {
      throw new ZmtpError(
        `Cannot connect ${type} socket to "${where}": the peer did not send a ZMTP greeting`,
      );
    }
    const major = peer[10]!;
    if (major < 3) {
      throw new ZmtpError(
        `Cannot connect ${type} socket to "${where}": the peer speaks ZMTP ${major}, expected 3 or later`,
      );
    }
    const mechanism = decoder.decode(peer.subarray(12, 32)).replace(/\0+$/, "");
    if (mechanism !== "NULL") {
      throw new ZmtpError(
        `Cannot connect ${type} socket to "${where}": the peer asks for security mechanism "${mechanism}", only "NULL" is supported`,
      );
    }
    await this.#writeAll(encodeFrame(readyCommand(type), FLAG_COMMAND));
    for (;;) {
      const frame = await this.#readFrame();
      if (frame === null) {
        throw new ZmtpError(
          `Cannot connect ${type} socket to "${where}": the peer closed the connection during the handshake`,
        );
      }
      if (!frame.command) continue;
      const name = commandName(frame.body);
      if (name === "READY") return;
      if (name === "ERROR") {
        const size = frame.body[6] ?? 0;
        const reason = decoder.decode(frame.body.subarray(7, 7 + size));
        throw new ZmtpError(
          `Cannot connect ${type} socket to "${where}": the peer refused the handshake: ${reason}`,
        );
      }
    }
  }

  async #receiveLoop(): Promise<void> {
    let parts: Uint8Array[] = [];
    try {
      for (;;) {
        const frame = await this.#readFrame();
        if (frame === null) break;
        if (frame.command) {
          const name = commandName(frame.body);
          if (name === "PING") {
            await this.#writeAll(encodeFrame(pongCommand(frame.body), FLAG_COMMAND));
          }
          continue;
        }
        parts.push(frame.body);
        if (frame.more) continue;
        const message = parts;
        parts = [];
        const waiter = this.#waiters.shift();
        if (waiter === undefined) this.#queue.push(message);
        else waiter(message);
      }
      this.#abort("closed by the peer");
    } catch (error) {
      this.#abort(this.#closed ? this.#closeReason ?? "closed" : errorText(error));
    }
  }

  async #readFrame(): Promise<{ body: Uint8Array; more: boolean; command: boolean } | null> {
    const head = await this.#readExactlyOrEnd(1);
    if (head === null) return null;
    const flags = head[0]!;
    let size: number;
    if (flags & FLAG_LONG) {
      const bytes = await this.#readExactly(8);
      const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
      const long = view.getBigUint64(0);
      if (long > BigInt(MAX_FRAME_BYTES)) {
        throw new ZmtpError(
          `Cannot read a frame of ${long} bytes: the limit is ${MAX_FRAME_BYTES}`,
        );
      }
      size = Number(long);
    } else {
      size = (await this.#readExactly(1))[0]!;
    }
    const body = await this.#readExactly(size);
    return { body, more: (flags & FLAG_MORE) !== 0, command: (flags & FLAG_COMMAND) !== 0 };
  }

  async #readExactly(size: number): Promise<Uint8Array> {
    const bytes = await this.#readExactlyOrEnd(size);
    if (bytes === null) throw new ZmtpError("Cannot read from the socket: the peer closed it");
    return bytes;
  }

  async #readExactlyOrEnd(size: number): Promise<Uint8Array | null> {
    while (this.#buffer.length < size) {
      const chunk = new Uint8Array(Math.max(65536, size - this.#buffer.length));
      let read: number | null;
      try {
        read = await this.#conn.read(chunk);
      } catch (error) {
        if (this.#closed) return null;
        throw error;
      }
      if (read === null) {
        if (this.#buffer.length === 0) return null;
        throw new ZmtpError(
          "Cannot read from the socket: the peer closed it in the middle of a frame",
        );
      }
      this.#buffer = this.#buffer.length === 0
        ? chunk.slice(0, read)
        : concat([this.#buffer, chunk.subarray(0, read)]);
    }
    const bytes = this.#buffer.slice(0, size);
    this.#buffer = this.#buffer.subarray(size);
    return bytes;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    if (this.#closed) {
      throw new ZmtpError(`Cannot write to the socket: it is ${this.#closeReason ?? "closed"}`);
    }
    let offset = 0;
    while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
  }
}

/**
 * Encodes one frame: flags, a 1-byte or 8-byte size, then the body.
 *
 * @param body the frame's bytes
 * @param flags `MORE` (1) and/or `COMMAND` (4); `LONG` (2) is added when the body needs it
 * @returns the encoded frame
 * @example
 * ```ts
 * encodeFrame(new Uint8Array([1, 2]), 0); // [0, 2, 1, 2]
 * ```
 */
export function encodeFrame(body: Uint8Array, flags: number): Uint8Array {
  if (body.length > 255) {
    const frame = new Uint8Array(9 + body.length);
    frame[0] = flags | FLAG_LONG;
    new DataView(frame.buffer).setBigUint64(1, BigInt(body.length));
    frame.set(body, 9);
    return frame;
  }
  const frame = new Uint8Array(2 + body.length);
  frame[0] = flags;
  frame[1] = body.length;
  frame.set(body, 2);
  return frame;
}

function greeting(): Uint8Array {
  const bytes = new Uint8Array(GREETING_SIZE);
  bytes[0] = 0xff;
  bytes[9] = 0x7f;
  bytes[10] = 3; // version 3.0
  bytes[11] = 0;
  bytes.set(encoder.encode("NULL"), 12);
  bytes[32] = 0; // as-server: we are always the client
  return bytes;
}

function readyCommand(type: ZmtpSocketType): Uint8Array {
  const properties: [string, string][] = [["Socket-Type", type]];
  if (type === "DEALER") properties.push(["Identity", ""]);
  const parts: Uint8Array[] = [new Uint8Array([5]), encoder.encode("READY")];
  for (const [name, value] of properties) {
    const nameBytes = encoder.encode(name);
    const valueBytes = encoder.encode(value);
    const size = new Uint8Array(4);
    new DataView(size.buffer).setUint32(0, valueBytes.length);
    parts.push(new Uint8Array([nameBytes.length]), nameBytes, size, valueBytes);
  }
  return concat(parts);
}

function pongCommand(ping: Uint8Array): Uint8Array {
  // PING: name, 2-byte TTL, context; PONG echoes the context.
  const context = ping.subarray(1 + 4 + 2);
  return concat([new Uint8Array([4]), encoder.encode("PONG"), context]);
}

function commandName(body: Uint8Array): string {
  const size = body[0] ?? 0;
  return decoder.decode(body.subarray(1, 1 + size));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}
