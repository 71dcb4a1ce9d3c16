import assert from "node:assert/strict";
import { encodeFrame, ZmtpSocket } from "../../src/notebook/_zmtp.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A ZMTP 3.0 peer in the test: one connection, driven step by step. */
class FakePeer {
  #listener: Deno.TcpListener;
  #conn: Deno.TcpConn | null = null;
  #buffer = new Uint8Array(0);

  constructor() {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  async accept(mechanism = "NULL"): Promise<void> {
    this.#conn = await this.#listener.accept();
    const greeting = new Uint8Array(64);
    greeting.set([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0]);
    greeting.set(encoder.encode(mechanism), 12);
    await this.#write(greeting);
  }

  async readGreeting(): Promise<Uint8Array> {
    return await this.#read(64);
  }

  /** Reads one frame: flags and body. */
  async readFrame(): Promise<{ flags: number; body: Uint8Array }> {
    const [flags] = await this.#read(1);
    let size: number;
    if (flags! & 0x02) {
      const bytes = await this.#read(8);
      size = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0));
    } else {
      size = (await this.#read(1))[0]!;
    }
    return { flags: flags!, body: await this.#read(size) };
  }

  async sendReady(type: string): Promise<void> {
    const name = encoder.encode("Socket-Type");
    const value = encoder.encode(type);
    const body = new Uint8Array([
      5,
      ...encoder.encode("READY"),
      name.length,
      ...name,
      0,
      0,
      0,
      value.length,
      ...value,
    ]);
    await this.#write(encodeFrame(body, 0x04));
  }

  async sendMessage(frames: Uint8Array[]): Promise<void> {
    for (const [i, frame] of frames.entries()) {
      await this.#write(encodeFrame(frame, i < frames.length - 1 ? 0x01 : 0));
    }
  }

  close(): void {
    this.#conn?.close();
    this.#listener.close();
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.#conn!.write(bytes.subarray(offset));
  }

  async #read(size: number): Promise<Uint8Array> {
    while (this.#buffer.length < size) {
      const chunk = new Uint8Array(65536);
      const read = await this.#conn!.read(chunk);
      if (read === null) throw new Error("peer: connection closed");
      const next = new Uint8Array(this.#buffer.length + read);
      next.set(this.#buffer);
      next.set(chunk.subarray(0, read), this.#buffer.length);
      this.#buffer = next;
    }
    const bytes = this.#buffer.slice(0, size);
    this.#buffer = this.#buffer.slice(size);
    return bytes;
  }
}

async function handshake(peer: FakePeer, type: "DEALER" | "SUB") {
  const connecting = ZmtpSocket.connect({ host: "127.0.0.1", port: peer.port, type });
  await peer.accept();
  const greeting = await peer.readGreeting();
  const ready = await peer.readFrame();
  await peer.sendReady(type === "SUB" ? "PUB" : "ROUTER");
  return { socket: await connecting, greeting, ready };
}

Deno.test("encodeFrame() writes short frames with a 1-byte size and long ones with 8 bytes", () => {
  assert.deepEqual([...encodeFrame(new Uint8Array([7, 8]), 0x01)], [0x01, 2, 7, 8]);
  const long = encodeFrame(new Uint8Array(300), 0);
  assert.equal(long[0], 0x02);
  assert.deepEqual([...long.subarray(1, 9)], [0, 0, 0, 0, 0, 0, 1, 44]);
  assert.equal(long.length, 9 + 300);
});

Deno.test("ZmtpSocket.connect() greets as ZMTP 3.0 NULL and announces its socket type", async () => {
  const peer = new FakePeer();
  const { socket, greeting, ready } = await handshake(peer, "DEALER");

  assert.equal(greeting[0], 0xff);
  assert.equal(greeting[9], 0x7f);
  assert.equal(greeting[10], 3);
  assert.equal(decoder.decode(greeting.subarray(12, 16)), "NULL");
  assert.equal(ready.flags, 0x04);
  assert.equal(
    decoder.decode(ready.body),
    "\x05READY\x0bSocket-Type\0\0\0\x06DEALER\x08Identity\0\0\0\0",
  );

  await socket.closeAndWait();
  peer.close();
});

Deno.test("ZmtpSocket sends and receives multipart messages with short and long frames", async () => {
  const peer = new FakePeer();
  const { socket } = await handshake(peer, "DEALER");

  const big = new Uint8Array(70_000).fill(42);
  await socket.send([encoder.encode("<IDS|MSG>"), big]);
  const first = await peer.readFrame();
  const second = await peer.readFrame();
  assert.equal(first.flags, 0x01); // MORE
  assert.equal(decoder.decode(first.body), "<IDS|MSG>");
  assert.equal(second.flags, 0x02); // LONG, last frame
  assert.deepEqual(second.body, big);

  await peer.sendMessage([encoder.encode("a"), big, encoder.encode("c")]);
  const message = await socket.receive();
  assert.ok(message !== null);
  assert.deepEqual(message.map((frame) => frame.length), [1, 70_000, 1]);
  assert.equal(decoder.decode(message[2]), "c");

  peer.close();
  assert.equal(await socket.receive(), null); // the peer closed: no more messages
  assert.equal(socket.closed, true);
  await socket.closeAndWait();
});

Deno.test("ZmtpSocket.connect() subscribes a SUB socket with a ZMTP 3.0 subscription message", async () => {
  const peer = new FakePeer();
  const { socket } = await handshake(peer, "SUB");
  const subscription = await peer.readFrame();
  assert.equal(subscription.flags, 0);
  assert.deepEqual([...subscription.body], [1]); // subscribe to every topic
  await socket.closeAndWait();
  peer.close();
});

Deno.test("ZmtpSocket.connect() refuses a peer that asks for a security mechanism", async () => {
  const peer = new FakePeer();
  const connecting = ZmtpSocket.connect({ host: "127.0.0.1", port: peer.port, type: "DEALER" });
  await peer.accept("CURVE");
  await assert.rejects(connecting, {
    name: "ZmtpError",
    message: /asks for security mechanism "CURVE", only "NULL" is supported/,
  });
  peer.close();
});

Deno.test("ZmtpSocket.connect() reports a refused connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assert.rejects(ZmtpSocket.connect({ host: "127.0.0.1", port, type: "DEALER" }), {
    name: "ZmtpError",
    message: new RegExp(`Cannot connect DEALER socket to "tcp://127.0.0.1:${port}"`),
  });
});
