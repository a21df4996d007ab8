/**
 * A real S3-compatible server for tests: moto's server from the project's Python venv, on a
 * free loopback port. Start it in `beforeAll`, stop it in `afterAll`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { freePort } from "./free-port";

const MOTO_SERVER = join(import.meta.dirname, "..", "..", ".venv", "bin", "moto_server");

/** Dummy credentials moto accepts; set in the environment so the AWS SDK's default chain finds them. */
export const DUMMY_AWS_ENV = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_REGION: "eu-central-1",
} as const;

export interface MotoS3 {
  readonly endpointUrl: string;
  /** A client for seeding buckets. */
  readonly client: S3Client;
  /** Puts `body` at `key`. */
  put(bucket: string, key: string, body: string | Uint8Array): Promise<void>;
  stop(): Promise<void>;
}

/** Starts moto's server and waits until it answers (up to 30 s). */
export async function startMotoS3(): Promise<MotoS3> {
  Object.assign(process.env, DUMMY_AWS_ENV);
  const port = await freePort();
  const child: ChildProcess = spawn(MOTO_SERVER, ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr = (stderr + String(chunk)).slice(-4000);
  });
  const endpointUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited early:\n${stderr}`);
    try {
      const response = await fetch(`${endpointUrl}/moto-api/`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`moto_server did not answer on ${endpointUrl} within 30 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const client = new S3Client({ region: DUMMY_AWS_ENV.AWS_REGION, endpoint: endpointUrl, forcePathStyle: true });
  const buckets = new Set<string>();
  return {
    endpointUrl,
    client,
    async put(bucket, key, body) {
      if (!buckets.has(bucket)) {
        buckets.add(bucket);
        try {
          await client.send(
            new CreateBucketCommand({
              Bucket: bucket,
              CreateBucketConfiguration: { LocationConstraint: DUMMY_AWS_ENV.AWS_REGION },
            }),
          );
        } catch (error) {
          if ((error as { name?: string }).name !== "BucketAlreadyOwnedByYou") throw error;
        }
      }
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async stop() {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
