/**
 * The artifact bucket as an `ArtifactStore`: S3, or any S3-compatible server named by an
 * endpoint URL (path-style addressing then, as such servers expect).
 */
import { GetObjectCommand, NoSuchKey, paginateListObjectsV2, S3Client } from "@aws-sdk/client-s3";
import { ArtifactMissingError, type ArtifactStore } from "./export-artifacts";
import type { ArtifactObject } from "./export-manifest";

export interface S3ArtifactStoreOptions {
  readonly bucket: string;
  /** AWS region of the bucket, e.g. `eu-central-1`. */
  readonly region: string;
  /** An S3-compatible endpoint such as `http://127.0.0.1:5000`; default: AWS S3. */
  readonly endpointUrl?: string;
}

/** Reads a bucket through @aws-sdk/client-s3; credentials come from the usual AWS chain. */
export class S3ArtifactStore implements ArtifactStore {
  private readonly client: S3Client;

  constructor(private readonly options: S3ArtifactStoreOptions) {
    this.client = new S3Client({
      region: options.region,
      ...(options.endpointUrl ? { endpoint: options.endpointUrl, forcePathStyle: true } : {}),
    });
  }

  async *list(prefix: string): AsyncIterable<ArtifactObject> {
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.options.bucket, Prefix: prefix },
    )) {
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        yield { key: item.Key, sizeBytes: item.Size ?? 0, etag: item.ETag };
      }
    }
  }

  async read(key: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      // ChecksumMode makes the SDK verify the object's stored checksum (when the writer sent one).
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key, ChecksumMode: "ENABLED" }),
      );
      if (!response.Body) throw new ArtifactMissingError(key);
      return response.Body as AsyncIterable<Uint8Array>;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") {
        throw new ArtifactMissingError(key);
      }
      throw error;
    }
  }

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }
}
