/**
 * The lab-controller's state: runs, their events, the people of the cohort and a usage ledger,
 * in SQLite (better-sqlite3) with WAL on the controller's PVC. Every method is synchronous and
 * each change is one transaction, so a crash leaves either the old or the new state.
 */
import Database from "better-sqlite3";
import type { RunSpec } from "../../schema/run-spec";
import type { Placement, Run, RunEstimate, RunSample, RunState } from "../runs/run";
import { DatasetStore } from "./dataset-store";
import { MIGRATIONS } from "./migrations";
import { SessionStore } from "./session-store";

/** A person who may use the API. */
export interface PersonRecord {
  readonly id: string;
  readonly name: string;
  readonly role: "learner" | "instructor";
}

/** One stored event of a run, as the SSE stream sends it. */
export interface StoredEvent {
  /** Per-run sequence number, from 1 (the SSE `id:`). */
  readonly seq: number;
  /** SSE event name: `progress`, `phase`, `memory`, `metrics` or `state`. */
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly createdAt: string;
}

/** Fields of a run that change after it is created; `null` clears a field. */
export type RunPatch = Nullable<
  Pick<
    Run,
    | "state"
    | "grantedMiB"
    | "placement"
    | "reason"
    | "phase"
    | "peakVramMiB"
    | "metrics"
    | "samples"
    | "lastLoss"
    | "step"
    | "totalSteps"
    | "artifactsUri"
    | "startedAt"
    | "finishedAt"
    | "attempts"
  >
> & { runTokenSha256?: string | null; runTokenExpiresAtMs?: number | null; queuedAt?: string };

type Nullable<T> = { [K in keyof T]?: T[K] | null };

/** A new run before it is stored. */
export interface NewRun {
  readonly id: string;
  readonly learnerId: string;
  readonly spec: RunSpec;
  readonly estimate: RunEstimate;
  readonly state: RunState;
  readonly reason?: string;
  readonly createdAt: string;
}

interface RunRow {
  id: string;
  learner_id: string;
  exercise: string;
  state: RunState;
  spec_json: string;
  estimate_json: string;
  granted_mib: number | null;
  placement_json: string | null;
  reason: string | null;
  phase: string | null;
  peak_vram_mib: number | null;
  metrics_json: string | null;
  samples_json: string | null;
  last_loss: number | null;
  step: number | null;
  total_steps: number | null;
  artifacts_uri: string | null;
  run_token_sha256: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  attempts: number;
  queued_at: string;
}

const COLUMN_OF: Record<keyof RunPatch, string> = {
  state: "state",
  grantedMiB: "granted_mib",
  placement: "placement_json",
  reason: "reason",
  phase: "phase",
  peakVramMiB: "peak_vram_mib",
  metrics: "metrics_json",
  samples: "samples_json",
  lastLoss: "last_loss",
  step: "step",
  totalSteps: "total_steps",
  artifactsUri: "artifacts_uri",
  startedAt: "started_at",
  finishedAt: "finished_at",
  attempts: "attempts",
  runTokenSha256: "run_token_sha256",
  runTokenExpiresAtMs: "run_token_expires_at_ms",
  queuedAt: "queued_at",
};
const JSON_FIELDS = new Set<keyof RunPatch>(["placement", "metrics", "samples"]);

/** SQLite-backed store. Open it with `openRunStore(path)`; `:memory:` works for tests. */
export class RunStore {
  /**
   * Prepared statements, kept for the life of the connection. better-sqlite3 12 on Node 24 can
   * abort the process when a Statement is garbage-collected (WiseLibs/better-sqlite3 with Node
   * 24: `RemoveEnvironmentCleanupHook` assertion), and preparing once is faster anyway.
   */
  private readonly statements = new Map<string, Database.Statement>();

  /** Parsed spec and estimate by run id: they never change after insert, and parsing them dominated reads. */
  private readonly fixedParts = new Map<string, { spec: RunSpec; estimate: RunEstimate }>();

  /** Sessions and rotated tokens (session-store.ts), over the same connection. */
  readonly sessions: SessionStore;

  /** Learners' dataset uploads (dataset-store.ts), over the same connection. */
  readonly datasets: DatasetStore;

  private constructor(private readonly db: Database.Database) {
    this.sessions = new SessionStore((sql) => this.statement(sql));
    this.datasets = new DatasetStore((sql) => this.statement(sql));
  }

  private rowToRun(row: RunRow): Run {
    let fixed = this.fixedParts.get(row.id);
    if (!fixed) {
      fixed = { spec: JSON.parse(row.spec_json) as RunSpec, estimate: JSON.parse(row.estimate_json) as RunEstimate };
      this.fixedParts.set(row.id, fixed);
    }
    return rowToRun(row, fixed);
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Open (or create) the database at `path`, switch on WAL and run pending migrations. */
  static open(path: string): RunStore {
    const db = new Database(path);
    // exec, not pragma(): pragma() prepares a throwaway Statement (see `statements`).
    db.exec("PRAGMA journal_mode = WAL");
    // NORMAL is durable across application crashes with WAL; only a power loss can drop the last commit.
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA busy_timeout = 5000");
    const store = new RunStore(db);
    store.migrate();
    return store;
  }

  /** Schema version after migrations (the number of migrations applied). */
  get schemaVersion(): number {
    return this.statement("PRAGMA user_version").pluck().get() as number;
  }

  /** The SQLite journal mode, `wal` when the file is on disk. */
  get journalMode(): string {
    return this.statement("PRAGMA journal_mode").pluck().get() as string;
  }

  close(): void {
    this.db.close();
  }

  private migrate(): void {
    const current = this.schemaVersion;
    for (let i = current; i < MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[i].sql);
        this.db.exec(`PRAGMA user_version = ${i + 1}`);
      })();
    }
  }

  /** Replace the people table with the cohort's learners and instructors. */
  replacePeople(people: readonly PersonRecord[]): void {
    const insert = this.statement("INSERT INTO people (id, name, role) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      this.db.exec("DELETE FROM people");
      for (const p of people) insert.run(p.id, p.name, p.role);
    })();
  }

  /** Everyone in the people table, learners first, by id. */
  people(): PersonRecord[] {
    return this.statement("SELECT id, name, role FROM people ORDER BY role DESC, id").all() as PersonRecord[];
  }

  /** Store a new run; its queue order is its creation time. */
  insertRun(run: NewRun): void {
    this.statement(
      `INSERT INTO runs (id, learner_id, exercise, state, spec_json, estimate_json, reason, created_at, queued_at, attempts, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
    ).run(
      run.id,
      run.learnerId,
      run.spec.exercise,
      run.state,
      JSON.stringify(run.spec),
      JSON.stringify(run.estimate),
      run.reason ?? null,
      run.createdAt,
      run.createdAt,
      run.state === "failed" || run.state === "cancelled" ? run.createdAt : null,
    );
  }

  /** One run, or undefined. */
  getRun(id: string): Run | undefined {
    const row = this.statement("SELECT * FROM runs WHERE id = ?").get(id) as RunRow | undefined;
    return row ? this.rowToRun(row) : undefined;
  }

  /** Runs, newest first; filtered by learner and/or states. */
  listRuns(filter: { learnerId?: string; states?: readonly RunState[]; limit?: number } = {}): Run[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.learnerId !== undefined) {
      where.push("learner_id = ?");
      args.push(filter.learnerId);
    }
    if (filter.states && filter.states.length > 0) {
      where.push(`state IN (${filter.states.map(() => "?").join(",")})`);
      args.push(...filter.states);
    }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`;
    args.push(filter.limit ?? 1000);
    return (this.statement(sql).all(...args) as RunRow[]).map((row) => this.rowToRun(row));
  }

  /** Runs holding a GPU grant (`starting` or `running`), in no particular order. */
  activeRuns(): Run[] {
    return (this.statement("SELECT * FROM runs WHERE state IN ('starting', 'running')").all() as RunRow[]).map((row) =>
      this.rowToRun(row),
    );
  }

  /** Queued runs in queue order (oldest first), each with the time it entered the queue (ISO 8601). */
  queuedRuns(): Array<Run & { queuedAt: string }> {
    const rows = this.statement("SELECT * FROM runs WHERE state = 'queued' ORDER BY queued_at, id").all() as RunRow[];
    return rows.map((row) => ({ ...this.rowToRun(row), queuedAt: row.queued_at }));
  }

  /** When a queued run entered the queue (ISO 8601). */
  queuedAt(id: string): string | undefined {
    return (this.statement("SELECT queued_at FROM runs WHERE id = ?").get(id) as { queued_at: string } | undefined)
      ?.queued_at;
  }

  /**
   * Change a run if its state is one of `fromStates` (compare-and-set). Returns the updated run,
   * or undefined when the run is missing or already moved on, so a repeated event is harmless.
   */
  updateRun(id: string, patch: RunPatch, fromStates?: readonly RunState[]): Run | undefined {
    const sets: string[] = [];
    const args: unknown[] = [];
    for (const [field, value] of Object.entries(patch) as Array<[keyof RunPatch, unknown]>) {
      if (value === undefined) continue;
      sets.push(`${COLUMN_OF[field]} = ?`);
      args.push(JSON_FIELDS.has(field) && value !== null ? JSON.stringify(value) : value);
    }
    if (sets.length === 0) return this.getRun(id);
    let sql = `UPDATE runs SET ${sets.join(", ")} WHERE id = ?`;
    args.push(id);
    if (fromStates) {
      sql += ` AND state IN (${fromStates.map(() => "?").join(",")})`;
      args.push(...fromStates);
    }
    const result = this.statement(sql).run(...args);
    return result.changes > 0 ? this.getRun(id) : undefined;
  }

  /**
   * The sha256 of a run's runner token (hex), while the token works: only for a run that is
   * `starting` or `running`, and before its expiry (`runTokenExpiresAtMs`, when set). A finished,
   * cancelled or requeued run's token, or an expired one, answers undefined (the caller: 401).
   */
  runTokenSha256(id: string, nowMs: number = Date.now()): string | undefined {
    const row = this.statement(
      `SELECT run_token_sha256 FROM runs WHERE id = ? AND state IN ('starting', 'running')
         AND (run_token_expires_at_ms IS NULL OR run_token_expires_at_ms > ?)`,
    ).get(id, nowMs) as { run_token_sha256: string | null } | undefined;
    return row?.run_token_sha256 ?? undefined;
  }

  /**
   * Append an event to a run. A runner event carries its own `runnerSeq`; the same one twice
   * (a retried POST) is stored once. Returns the stored event, or undefined for a duplicate.
   */
  appendEvent(
    runId: string,
    event: { type: string; data: Record<string, unknown>; attempt?: number; runnerSeq?: number; at?: string },
  ): StoredEvent | undefined {
    return this.db.transaction(() => {
      const next =
        ((this.statement("SELECT MAX(seq) AS s FROM events WHERE run_id = ?").get(runId) as { s: number | null }).s ??
          0) + 1;
      const createdAt = event.at ?? new Date().toISOString();
      const result = this.statement(
        "INSERT OR IGNORE INTO events (run_id, seq, type, data_json, attempt, runner_seq, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run(
        runId,
        next,
        event.type,
        JSON.stringify(event.data),
        event.attempt ?? 0,
        event.runnerSeq ?? null,
        createdAt,
      );
      if (result.changes === 0) return undefined;
      return { seq: next, type: event.type, data: event.data, createdAt };
    })();
  }

  /** A run's events after a sequence number (0: all), oldest first. */
  eventsAfter(runId: string, afterSeq: number, limit = 10_000): StoredEvent[] {
    const rows = this.statement(
      "SELECT seq, type, data_json, created_at FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
    ).all(runId, afterSeq, limit) as Array<{ seq: number; type: string; data_json: string; created_at: string }>;
    return rows.map((r) => ({ seq: r.seq, type: r.type, data: JSON.parse(r.data_json), createdAt: r.created_at }));
  }

  /** The loss history of a run, one point per step (a repeated step keeps its last value). */
  lossPoints(runId: string): Array<{ step: number; loss: number; learningRate?: number }> {
    const rows = this.statement("SELECT data_json FROM events WHERE run_id = ? AND type = 'progress' ORDER BY seq").all(
      runId,
    ) as Array<{ data_json: string }>;
    const byStep = new Map<number, { step: number; loss: number; learningRate?: number }>();
    for (const row of rows) {
      const data = JSON.parse(row.data_json) as { step?: number; loss?: number; learningRate?: number };
      if (typeof data.step !== "number" || typeof data.loss !== "number") continue;
      byStep.set(data.step, {
        step: data.step,
        loss: data.loss,
        ...(data.learningRate !== undefined ? { learningRate: data.learningRate } : {}),
      });
    }
    return [...byStep.values()].sort((a, b) => a.step - b.step);
  }

  /** Record the GPU time of one attempt of a run; the same attempt twice is recorded once. */
  recordUsage(entry: {
    learnerId: string;
    runId: string;
    attempt: number;
    gpuMinutes: number;
    vramMiB: number;
    startedAt: string;
    endedAt: string;
  }): void {
    this.statement(
      `INSERT OR IGNORE INTO usage_ledger (learner_id, run_id, attempt, gpu_minutes, vram_mib, started_at, ended_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(entry.learnerId, entry.runId, entry.attempt, entry.gpuMinutes, entry.vramMiB, entry.startedAt, entry.endedAt);
  }

  /** GPU-minutes recorded in the ledger, per learner. */
  gpuMinutesByLearner(): Map<string, number> {
    const rows = this.statement(
      "SELECT learner_id, SUM(gpu_minutes) AS m FROM usage_ledger GROUP BY learner_id",
    ).all() as Array<{ learner_id: string; m: number }>;
    return new Map(rows.map((r) => [r.learner_id, r.m]));
  }

  /** Counts of runs by state (for /metrics). */
  countByState(): Record<string, number> {
    const rows = this.statement("SELECT state, COUNT(*) AS n FROM runs GROUP BY state").all() as Array<{
      state: string;
      n: number;
    }>;
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }
}

function rowToRun(row: RunRow, fixed: { spec: RunSpec; estimate: RunEstimate }): Run {
  const run: Record<string, unknown> = {
    id: row.id,
    learnerId: row.learner_id,
    exercise: row.exercise,
    state: row.state,
    spec: fixed.spec,
    estimate: fixed.estimate,
    createdAt: row.created_at,
    attempts: row.attempts,
  };
  const optional: Array<[string, unknown]> = [
    ["grantedMiB", row.granted_mib],
    ["placement", row.placement_json ? (JSON.parse(row.placement_json) as Placement) : null],
    ["reason", row.reason],
    ["phase", row.phase],
    ["peakVramMiB", row.peak_vram_mib],
    ["metrics", row.metrics_json ? JSON.parse(row.metrics_json) : null],
    ["samples", row.samples_json ? (JSON.parse(row.samples_json) as RunSample[]) : null],
    ["lastLoss", row.last_loss],
    ["step", row.step],
    ["totalSteps", row.total_steps],
    ["artifactsUri", row.artifacts_uri],
    ["startedAt", row.started_at],
    ["finishedAt", row.finished_at],
  ];
  for (const [key, value] of optional) if (value !== null && value !== undefined) run[key] = value;
  return run as unknown as Run;
}
