/**
 * Who is calling: a bearer token (`Authorization: Bearer <token>`) or the `labkit_session`
 * cookie set by `POST /v1/login` (the dashboard's EventSource cannot send headers). Learner and
 * instructor tokens are looked up by hash; any other token is tried as the runner token of the
 * run named in the path.
 */
import type { FastifyRequest } from "fastify";
import type { RunStore } from "../store/run-store";
import { type Principal, sha256Hex, type TokenDirectory } from "./token-directory";

/** Name of the session cookie. */
export const SESSION_COOKIE = "labkit_session";

/** The presented token, from the Authorization header or the session cookie. */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const m = header.match(/^Bearer\s+(\S+)\s*$/i);
    return m ? m[1] : undefined;
  }
  return readCookie(request.headers.cookie, SESSION_COOKIE);
}

/** The principal behind a request, or undefined. `runId` is the run named in the path, if any. */
export function authenticate(
  request: FastifyRequest,
  tokens: TokenDirectory,
  store: RunStore,
  runId: string | undefined,
): Principal | undefined {
  const token = presentedToken(request);
  if (!token || token.length > 512) return undefined;
  const person = tokens.lookup(token);
  if (person) return person;
  if (runId) {
    const expected = store.runTokenSha256(runId);
    if (expected && expected === sha256Hex(token)) return { role: "runner", runId };
  }
  return undefined;
}

/** One cookie's value from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The Set-Cookie value of a session (HttpOnly, SameSite=Strict; Secure behind TLS), for `maxAgeSeconds` (default 12 h). */
export function sessionCookie(token: string, secure: boolean, maxAgeSeconds = 12 * 3600): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

/** The Set-Cookie value that clears the session. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}
