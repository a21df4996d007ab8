/**
 * The store's schema, as an ordered list of migrations. SQLite's `user_version` records how many
 * have run; a migration is never edited once released, only followed by a new one.
 */

/** One schema step: SQL run in a transaction, after which `user_version` is its 1-based index. */
export interface Migration {
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: "runs, events, people, usage ledger",
    sql: `
      CREATE TABLE people (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('learner', 'instructor'))
      );
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        learner_id TEXT NOT NULL,
        exercise TEXT NOT NULL,
        state TEXT NOT NULL,
        spec_json TEXT NOT NULL,
        estimate_json TEXT NOT NULL,
        granted_mib INTEGER,
        placement_json TEXT,
        reason TEXT,
        phase TEXT,
        peak_vram_mib REAL,
        metrics_json TEXT,
        samples_json TEXT,
        last_loss REAL,
        step INTEGER,
        total_steps INTEGER,
        artifacts_uri TEXT,
        run_token_sha256 TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL
      );
      CREATE INDEX runs_by_learner ON runs (learner_id, created_at);
      CREATE INDEX runs_by_state ON runs (state, queued_at);
      CREATE TABLE events (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        data_json TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0,
        runner_seq INTEGER,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
      CREATE UNIQUE INDEX events_runner_dedup ON events (run_id, attempt, runner_seq) WHERE runner_seq IS NOT NULL;
      CREATE TABLE usage_ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        learner_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        gpu_minutes REAL NOT NULL,
        vram_mib INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT NOT NULL,
        UNIQUE (run_id, attempt)
      );
    `,
  },
  {
    name: "sessions and rotated tokens",
    sql: `
      CREATE TABLE sessions (
        id_sha256 TEXT PRIMARY KEY,
        person_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('learner', 'instructor')),
        name TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        last_seen_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL
      );
      CREATE INDEX sessions_by_person ON sessions (person_id);
      CREATE TABLE rotated_tokens (
        person_id TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('learner', 'instructor')),
        token_sha256 TEXT NOT NULL UNIQUE,
        replaced_sha256 TEXT NOT NULL,
        rotated_at TEXT NOT NULL
      );
    `,
  },
  {
    name: "learners' dataset uploads",
    sql: `
      CREATE TABLE datasets (
        id TEXT PRIMARY KEY,
        learner_id TEXT NOT NULL,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        uri TEXT NOT NULL,
        examples INTEGER NOT NULL,
        size_bytes INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (learner_id, sha256)
      );
      CREATE INDEX datasets_by_learner ON datasets (learner_id, created_at);
    `,
  },
  {
    name: "runner token expiry",
    // When a run's runner token stops working, ms since the epoch (its Job's deadline plus a margin).
    sql: "ALTER TABLE runs ADD COLUMN run_token_expires_at_ms INTEGER;",
  },
];
