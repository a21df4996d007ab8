/**
 * The artifact bucket as the controller uses it: store an uploaded dataset, list a run's
 * artifacts and presign download URLs for them, read a run's results.json. `S3ArtifactStore` is
 * the real one (AWS SDK v3; credentials from EKS Pod Identity in the cluster); any S3-compatible
 * endpoint works (tests use moto's server).
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

/** One object of a run's artifacts with a download link. */
export interface ArtifactLink {
  /** File name below the run's prefix, e.g. `adapter.tar.gz`. */
  readonly name: string;
  readonly sizeBytes: number;
  /** Presigned GET URL. */
  readonly url: string;
  /** When the URL stops working (ISO 8601). */
  readonly expiresAt: string;
}

/** What the controller needs from the bucket. */
export interface ArtifactStore {
  /** The bucket's name (for `s3://` URIs). */
  readonly bucket: string;
  /** Write an object (an uploaded dataset). */
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** Presigned links to every object below a prefix, valid `expiresSeconds` (default 3600 s). */
  links(prefix: string, expiresSeconds?: number): Promise<ArtifactLink[]>;
  /** An object's text, or undefined when it does not exist. */
  readText(key: string): Promise<string | undefined>;
}

/** The S3 bucket through the AWS SDK. */
export class S3ArtifactStore implements ArtifactStore {
  private readonly s3: S3Client;

  constructor(
    readonly bucket: string,
    options: {
      /** AWS region. Default from the environment. */
      region?: string;
      /** Endpoint of an S3-compatible server (tests); default AWS. */
      endpoint?: string;
      /** Use path-style URLs (needed by most S3-compatible servers). Default: true when an endpoint is set. */
      forcePathStyle?: boolean;
      credentials?: { accessKeyId: string; secretAccessKey: string };
    } = {},
  ) {
    this.s3 = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? "us-east-1",
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async links(prefix: string, expiresSeconds = 3600): Promise<ArtifactLink[]> {
    const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: 1000 }));
    const expiresAt = new Date(Date.now() + expiresSeconds * 1000).toISOString();
    const links: ArtifactLink[] = [];
    for (const object of listed.Contents ?? []) {
      if (!object.Key) continue;
      const url = await getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: object.Key }), {
        expiresIn: expiresSeconds,
      });
      links.push({ name: object.Key.slice(prefix.length), sizeBytes: object.Size ?? 0, url, expiresAt });
    }
    return links;
  }

  async readText(key: string): Promise<string | undefined> {
    try {
      const got = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await got.Body?.transformToString("utf8");
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === "NoSuchKey" || name === "NotFound") return undefined;
      throw error;
    }
  }
}
