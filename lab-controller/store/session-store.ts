/**
 * Server-side sessions and rotated tokens, in the controller's SQLite database.
 *
 * Logging in with a token creates a session: a random 256-bit id that only the browser holds (in
 * an HttpOnly cookie) and whose sha256 is stored here with an absolute expiry and an idle timeout.
 * Logging out, revoking a learner and rotating a token delete sessions, so none of them outlives
 * what the instructor decided. A rotated token's hash replaces the one the tokens Secret holds
 * for that person (see TokenDirectory.applyRotation).
 */
import { createHash, randomBytes } from "node:crypto";
import type Database from "better-sqlite3";

/** Who a session belongs to. */
export interface SessionPerson {
  readonly role: "learner" | "instructor";
  readonly id: string;
  readonly name: string;
}

/** How long sessions last. */
export interface SessionLimits {
  /** Absolute lifetime, ms. Default 12 h (one teaching day). */
  readonly maxAgeMs: number;
  /** A session unused this long ends, ms. Default 2 h. */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { maxAgeMs: 12 * 3_600_000, idleTimeoutMs: 2 * 3_600_000 };

/** `last_seen` is written at most this often, ms, so reads stay reads. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** A token rotated by an instructor. */
export interface RotatedToken {
  readonly personId: string;
  readonly role: "learner" | "instructor";
  readonly tokenSha256: string;
  /** The hash it replaced: the rotation holds only while the tokens Secret still has that one. */
  readonly replacedSha256: string;
}

interface SessionRow {
  person_id: string;
  role: "learner" | "instructor";
  name: string;
  last_seen_at_ms: number;
  expires_at_ms: number;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Sessions and rotated tokens over the store's connection (`prepare` caches statements). */
export class SessionStore {
  constructor(
    private readonly prepare: (sql: string) => Database.Statement,
    readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {}

  /** Start a session for `person`; returns its id (only the browser keeps it) and expiry. */
  create(person: SessionPerson, nowMs = Date.now()): { id: string; expiresAtMs: number } {
    const id = randomBytes(32).toString("base64url");
    const expiresAtMs = nowMs + this.limits.maxAgeMs;
    this.prepare(
      "INSERT INTO sessions (id_sha256, person_id, role, name, created_at_ms, last_seen_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(sha256Hex(id), person.id, person.role, person.name, nowMs, nowMs, expiresAtMs);
    return { id, expiresAtMs };
  }

  /** The person behind a live session id, or undefined (unknown, expired or idle too long; those are deleted). */
  lookup(id: string, nowMs = Date.now()): SessionPerson | undefined {
    const hash = sha256Hex(id);
    const row = this.prepare(
      "SELECT person_id, role, name, last_seen_at_ms, expires_at_ms FROM sessions WHERE id_sha256 = ?",
    ).get(hash) as SessionRow | undefined;
    if (!row) return undefined;
    if (nowMs >= row.expires_at_ms || nowMs - row.last_seen_at_ms >= this.limits.idleTimeoutMs) {
      this.prepare("DELETE FROM sessions WHERE id_sha256 = ?").run(hash);
      return undefined;
    }
    if (nowMs - row.last_seen_at_ms >= LAST_SEEN_RESOLUTION_MS) {
      this.prepare("UPDATE sessions SET last_seen_at_ms = ? WHERE id_sha256 = ?").run(nowMs, hash);
    }
    return { role: row.role, id: row.person_id, name: row.name };
  }

  /** End one session (logout); true if it existed. */
  end(id: string): boolean {
    return this.prepare("DELETE FROM sessions WHERE id_sha256 = ?").run(sha256Hex(id)).changes > 0;
  }

  /** End every session of a person; returns how many ended. */
  endAllOf(personId: string): number {
    return this.prepare("DELETE FROM sessions WHERE person_id = ?").run(personId).changes;
  }

  /** Live sessions of a person (for the dashboard and tests). */
  countOf(personId: string, nowMs = Date.now()): number {
    return this.prepare(
      "SELECT COUNT(*) FROM sessions WHERE person_id = ? AND expires_at_ms > ? AND last_seen_at_ms > ?",
    )
      .pluck()
      .get(personId, nowMs, nowMs - this.limits.idleTimeoutMs) as number;
  }

  /** Delete expired and idle sessions; returns how many. */
  prune(nowMs = Date.now()): number {
    return this.prepare("DELETE FROM sessions WHERE expires_at_ms <= ? OR last_seen_at_ms <= ?").run(
      nowMs,
      nowMs - this.limits.idleTimeoutMs,
    ).changes;
  }

  /** Record a person's new token hash (replacing an earlier rotation). */
  saveRotation(rotation: RotatedToken, at = new Date()): void {
    this.prepare(
      "INSERT INTO rotated_tokens (person_id, role, token_sha256, replaced_sha256, rotated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_id) DO UPDATE SET role = excluded.role, token_sha256 = excluded.token_sha256, rotated_at = excluded.rotated_at",
    ).run(rotation.personId, rotation.role, rotation.tokenSha256, rotation.replacedSha256, at.toISOString());
  }

  /** Every rotation recorded, to apply over the tokens Secret at start. */
  rotations(): RotatedToken[] {
    const rows = this.prepare(
      "SELECT person_id, role, token_sha256, replaced_sha256 FROM rotated_tokens ORDER BY person_id",
    ).all() as { person_id: string; role: "learner" | "instructor"; token_sha256: string; replaced_sha256: string }[];
    return rows.map((r) => ({
      personId: r.person_id,
      role: r.role,
      tokenSha256: r.token_sha256,
      replacedSha256: r.replaced_sha256,
    }));
  }
}
