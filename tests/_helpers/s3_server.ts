/**
 * A local S3-compatible server (s3rver) on a free loopback port, with buckets created and the
 * standard AWS environment variables pointing the object store at it.
 *
 * @module
 */
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

/** A running s3rver and the environment that points clients at it. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** The port it listens on. */
  port: number;
  /** The AWS variables for a client of this server (credentials S3RVER/S3RVER). */
  env: Record<string, string>;
  /** Stops the server and removes its folder. */
  close(): Promise<void>;
}

/** A free loopback port. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The AWS variables for a client of `endpoint` with s3rver's credentials. */
export function s3Env(endpoint: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_S3: endpoint,
  };
}

/**
 * Starts s3rver on a free loopback port with the given buckets.
 *
 * @param buckets bucket names (3 characters or more)
 * @returns the server
 */
export async function startS3Server(buckets: string[]): Promise<S3Server> {
  const S3rver = (await import("s3rver")).default;
  const directory = await Deno.makeTempDir({ prefix: "s3rver-" });
  const port = freePort();
  const server = new S3rver({ port, address: "127.0.0.1", silent: true, directory });
  await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const env = s3Env(endpoint);
  const client = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  for (const bucket of buckets) await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return {
    endpoint,
    port,
    env,
    async close() {
      await server.close();
      await Deno.remove(directory, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Sets environment variables for the length of `body`, then restores the old values.
 *
 * @param vars the variables; `undefined` removes one
 * @param body what runs with them
 * @returns what `body` returns
 */
export async function withEnv<T>(
  vars: Record<string, string | undefined>,
  body: () => Promise<T>,
): Promise<T> {
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(vars)) {
    saved.set(name, Deno.env.get(name));
    if (value === undefined) Deno.env.delete(name);
    else Deno.env.set(name, value);
  }
  try {
    return await body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  }
}
