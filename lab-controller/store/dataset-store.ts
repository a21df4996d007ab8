/**
 * The learners' dataset uploads, in the controller's SQLite database: which learner uploaded
 * which file, where it lies in the bucket and its sha256. A RunSpec names an upload only by its
 * id; the controller fills the run's `uri` and `sha256` from this record, and only for the
 * learner who uploaded it, so no caller can point a run at a file of their choosing.
 */
import type Database from "better-sqlite3";

/** One upload as stored. */
export interface DatasetRecord {
  /** Server-issued id, `ds-` and 12 base-32 characters. */
  readonly id: string;
  /** The learner who uploaded it. */
  readonly learnerId: string;
  /** The file's name as uploaded, for display. */
  readonly name: string;
  /** sha256 of the file, hex (also its key in the bucket). */
  readonly sha256: string;
  /** Where the runner fetches it, `s3://<bucket>/<key>`. */
  readonly uri: string;
  /** Number of examples (non-empty lines). */
  readonly examples: number;
  readonly sizeBytes: number;
  /** When it was uploaded (ISO 8601). */
  readonly createdAt: string;
}

interface DatasetRow {
  id: string;
  learner_id: string;
  name: string;
  sha256: string;
  uri: string;
  examples: number;
  size_bytes: number;
  created_at: string;
}

const COLUMNS = "id, learner_id, name, sha256, uri, examples, size_bytes, created_at";

function rowToRecord(row: DatasetRow): DatasetRecord {
  return {
    id: row.id,
    learnerId: row.learner_id,
    name: row.name,
    sha256: row.sha256,
    uri: row.uri,
    examples: row.examples,
    sizeBytes: row.size_bytes,
    createdAt: row.created_at,
  };
}

/** Uploads over the store's connection (`prepare` caches statements). */
export class DatasetStore {
  constructor(private readonly prepare: (sql: string) => Database.Statement) {}

  /**
   * Record an upload. The same file uploaded again by the same learner keeps its first record
   * (and id), so re-running a notebook cell does not pile up copies; that record is returned.
   */
  insert(record: DatasetRecord): DatasetRecord {
    this.prepare(
      `INSERT INTO datasets (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (learner_id, sha256) DO NOTHING`,
    ).run(
      record.id,
      record.learnerId,
      record.name,
      record.sha256,
      record.uri,
      record.examples,
      record.sizeBytes,
      record.createdAt,
    );
    const stored = this.prepare(`SELECT ${COLUMNS} FROM datasets WHERE learner_id = ? AND sha256 = ?`).get(
      record.learnerId,
      record.sha256,
    ) as DatasetRow;
    return rowToRecord(stored);
  }

  /** The upload with this id, if `learnerId` made it; another learner's id is as unknown as a made-up one. */
  findOwn(learnerId: string, id: string): DatasetRecord | undefined {
    const row = this.prepare(`SELECT ${COLUMNS} FROM datasets WHERE id = ? AND learner_id = ?`).get(id, learnerId) as
      | DatasetRow
      | undefined;
    return row ? rowToRecord(row) : undefined;
  }

  /** A learner's uploads, newest first; every learner's without `learnerId`. */
  list(learnerId?: string): DatasetRecord[] {
    const rows = (
      learnerId === undefined
        ? this.prepare(`SELECT ${COLUMNS} FROM datasets ORDER BY created_at DESC, id`).all()
        : this.prepare(`SELECT ${COLUMNS} FROM datasets WHERE learner_id = ? ORDER BY created_at DESC, id`).all(
            learnerId,
          )
    ) as DatasetRow[];
    return rows.map(rowToRecord);
  }

  /** How many uploads a learner has. */
  countOf(learnerId: string): number {
    return this.prepare("SELECT COUNT(*) FROM datasets WHERE learner_id = ?").pluck().get(learnerId) as number;
  }
}
