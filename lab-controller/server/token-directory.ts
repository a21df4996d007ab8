/**
 * Who a bearer token belongs to. Learner and instructor tokens arrive as sha256 hashes (a Secret
 * mounted as JSON, written from the roster by the labs component); the controller never sees or
 * stores them in plain text. A runner's per-run token is checked against the hash stored with
 * its run.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

/** Someone the API knows. `runner` is the Job of one run and may only post that run's events. */
export type Principal =
  | { readonly role: "learner" | "instructor"; readonly id: string; readonly name: string }
  | { readonly role: "runner"; readonly runId: string };

const HEX_SHA256 = /^[0-9a-f]{64}$/;

const PersonTokenSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    tokenSha256: z.string().regex(HEX_SHA256, "expected the token's sha256 as 64 lower-case hex digits"),
  })
  .strict();

/** The tokens Secret's JSON: `{ learners: [{ id, name, tokenSha256 }], instructors: [...] }`. */
export const TokensFileSchema = z
  .object({
    learners: z.array(PersonTokenSchema).default([]),
    instructors: z.array(PersonTokenSchema).default([]),
  })
  .strict();
export type TokensFile = z.infer<typeof TokensFileSchema>;

/** sha256 of a token, lower-case hex. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Learner and instructor tokens by hash, with instructors' rotations applied over the Secret's. */
export class TokenDirectory {
  private readonly byHash = new Map<string, Principal & { role: "learner" | "instructor" }>();
  private readonly hashById = new Map<string, string>();

  constructor(tokens: TokensFile) {
    for (const p of tokens.learners) this.add(p.tokenSha256, { role: "learner", id: p.id, name: p.name });
    for (const p of tokens.instructors) this.add(p.tokenSha256, { role: "instructor", id: p.id, name: p.name });
  }

  private add(hash: string, person: Principal & { role: "learner" | "instructor" }): void {
    this.byHash.set(hash, person);
    this.hashById.set(`${person.role}/${person.id}`, hash);
  }

  /** Parse the tokens Secret's JSON text; throws an Error naming the bad field. */
  static parse(jsonText: string, source = "tokens file"): TokenDirectory {
    let raw: unknown;
    try {
      raw = JSON.parse(jsonText);
    } catch (error) {
      throw new Error(
        `${source} is not JSON (${(error as Error).message}); expected { "learners": [{ "id", "name", "tokenSha256" }], "instructors": [...] }`,
      );
    }
    const parsed = TokensFileSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
      throw new Error(`${source} is not valid: ${problems.join("; ")}`);
    }
    return new TokenDirectory(parsed.data);
  }

  /** The learner or instructor a plain-text token belongs to, or undefined. */
  lookup(token: string): (Principal & { role: "learner" | "instructor" }) | undefined {
    return this.byHash.get(sha256Hex(token));
  }

  /** The person with this role and id, or undefined. */
  person(role: "learner" | "instructor", id: string): (Principal & { role: "learner" | "instructor" }) | undefined {
    const hash = this.hashById.get(`${role}/${id}`);
    return hash === undefined ? undefined : this.byHash.get(hash);
  }

  /** The token hash a person holds now (the Secret's, or a rotation's), or undefined. */
  hashOf(role: "learner" | "instructor", id: string): string | undefined {
    return this.hashById.get(`${role}/${id}`);
  }

  /**
   * Replace a person's token hash: the old token stops working at once. With `onlyIfCurrent`,
   * only while the person still holds that hash (a redeploy that issued a new token since
   * wins over an older rotation). Returns whether the hash was replaced.
   */
  applyRotation(role: "learner" | "instructor", id: string, tokenSha256: string, onlyIfCurrent?: string): boolean {
    const person = this.person(role, id);
    const current = this.hashOf(role, id);
    if (!person || current === undefined) return false;
    if (onlyIfCurrent !== undefined && current !== onlyIfCurrent && current !== tokenSha256) return false;
    this.byHash.delete(current);
    this.add(tokenSha256, person);
    return true;
  }

  /** How many people hold tokens. */
  get size(): number {
    return this.byHash.size;
  }
}
