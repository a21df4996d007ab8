/**
 * A real S3-compatible server for tests: moto's server from the project's Python venv, on a
 * free loopback port. Start it in `beforeAll`, stop it in `afterAll`.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DUMMY_AWS_ENV, startMotoAws } from "./moto-aws";

export { DUMMY_AWS_ENV };

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
  const moto = await startMotoAws();
  const endpointUrl = moto.endpointUrl;
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
      await moto.stop();
    },
  };
}
