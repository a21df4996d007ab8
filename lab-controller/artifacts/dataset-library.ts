/**
 * The learners' uploaded datasets: take a JSONL file (checked by `checkDatasetUpload`), put it in
 * the learner's area of the artifact bucket under its sha256, record it with a server-issued id,
 * and find it again for that learner only. A RunSpec names an upload by this id; its `uri` and
 * `sha256` come from the record here, never from the caller.
 */
import { randomBytes } from "node:crypto";
import { datasetObjectKey } from "../../charts/names";
import type { UploadRecord } from "../../schema/run-spec";
import type { DatasetRecord, DatasetStore } from "../store/dataset-store";
import type { ArtifactStore } from "./artifact-store";
import { checkDatasetUpload } from "./dataset-upload";

/** Most uploads one learner may keep. Default 100 (16 MiB each at most). */
export const MAX_UPLOADS_PER_LEARNER = 100;

/** An upload the caller got wrong (bad file, bad name, too many): the API answers 400. */
export class DatasetUploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetUploadError";
  }
}

/** What the library depends on. */
export interface DatasetLibraryDeps {
  /** The cohort's name: it prefixes every key in the bucket. */
  readonly cohortName: string;
  readonly store: DatasetStore;
  /** The artifact bucket; without it uploads are refused. */
  readonly artifacts?: ArtifactStore;
  /** Bucket name for `s3://` URIs. */
  readonly bucket: string;
  /** Clock, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Id generator. Default `newDatasetId`. */
  readonly newId?: () => string;
  /** Most uploads per learner. Default `MAX_UPLOADS_PER_LEARNER`. */
  readonly maxUploadsPerLearner?: number;
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** A new upload id: `ds-` and 12 lower-case base-32 characters (60 random bits). */
export function newDatasetId(): string {
  let id = "ds-";
  for (const b of randomBytes(12)) id += BASE32[b & 31];
  return id;
}

/** The learners' uploads: store, list, and resolve one for its owner. */
export class DatasetLibrary {
  constructor(private readonly deps: DatasetLibraryDeps) {}

  /**
   * Check a learner's JSONL file, store it in their area of the bucket and record it. The same
   * bytes uploaded again return the first record. Throws `DatasetUploadError` saying what to fix.
   */
  async upload(learnerId: string, name: string, contentBase64: string): Promise<DatasetRecord> {
    const { store } = this.deps;
    const artifacts = this.bucketOrRefuse();
    let checked: ReturnType<typeof checkDatasetUpload>;
    try {
      checked = checkDatasetUpload(name, contentBase64);
    } catch (error) {
      throw new DatasetUploadError((error as Error).message);
    }
    const limit = this.deps.maxUploadsPerLearner ?? MAX_UPLOADS_PER_LEARNER;
    const known = store.list(learnerId).find((d) => d.sha256 === checked.sha256);
    if (known) return known;
    if (store.countOf(learnerId) >= limit) {
      throw new DatasetUploadError(
        `you already have ${limit} uploads, the most a learner may keep: reuse one by its id (GET /v1/datasets lists them)`,
      );
    }
    const key = datasetObjectKey(this.deps.cohortName, learnerId, checked.sha256);
    await artifacts.put(key, checked.bytes, "application/x-ndjson");
    return store.insert({
      id: (this.deps.newId ?? newDatasetId)(),
      learnerId,
      name,
      sha256: checked.sha256,
      uri: `s3://${this.deps.bucket}/${key}`,
      examples: checked.examples,
      sizeBytes: checked.bytes.length,
      createdAt: new Date((this.deps.now ?? Date.now)()).toISOString(),
    });
  }

  /** The artifact bucket; throws `DatasetUploadError` when this controller has none. */
  bucketOrRefuse(): ArtifactStore {
    if (!this.deps.artifacts) {
      throw new DatasetUploadError(
        "dataset uploads need the artifact bucket, which this controller has not been given: use a built-in dataset",
      );
    }
    return this.deps.artifacts;
  }

  /**
   * Check a file without storing it (for `POST /v1/estimate` with an inline dataset): the record
   * an upload would get, less its id.
   */
  preview(learnerId: string, name: string, contentBase64: string): UploadRecord {
    let checked: ReturnType<typeof checkDatasetUpload>;
    try {
      checked = checkDatasetUpload(name, contentBase64);
    } catch (error) {
      throw new DatasetUploadError((error as Error).message);
    }
    const key = datasetObjectKey(this.deps.cohortName, learnerId, checked.sha256);
    return { name, uri: `s3://${this.deps.bucket}/${key}`, sha256: checked.sha256 };
  }

  /** A learner's own upload by id; undefined for an unknown id and for another learner's. */
  findOwn(learnerId: string, id: string): DatasetRecord | undefined {
    return this.deps.store.findOwn(learnerId, id);
  }

  /** A learner's uploads (every learner's without `learnerId`), newest first. */
  list(learnerId?: string): DatasetRecord[] {
    return this.deps.store.list(learnerId);
  }
}
