/**
 * Who is calling: a bearer token (`Authorization: Bearer <token>`) or the `labkit_session`
 * cookie set by `POST /v1/login` (the dashboard's EventSource cannot send headers). Learner and
 * instructor tokens are looked up by hash; any other token is tried as the runner token of the
 * run named in the path. Cookies are parsed and written by @fastify/cookie (registered in
 * create-controller-server.ts before the auth hook).
 */
import type { CookieSerializeOptions } from "@fastify/cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
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
  return request.cookies?.[SESSION_COOKIE];
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

/** How long a session cookie lasts, seconds. Default 12 h. */
export const SESSION_MAX_AGE_SECONDS = 12 * 3600;

/** The session cookie's attributes: `Path=/; HttpOnly; SameSite=Strict`, `Secure` behind TLS. */
function sessionCookieOptions(secure: boolean, maxAgeSeconds: number): CookieSerializeOptions {
  return { path: "/", httpOnly: true, sameSite: "strict", maxAge: maxAgeSeconds, secure };
}

/** Set the session cookie on `reply` for `maxAgeSeconds` (default 12 h); `secure` behind TLS. */
export function setSessionCookie(
  reply: FastifyReply,
  token: string,
  secure: boolean,
  maxAgeSeconds = SESSION_MAX_AGE_SECONDS,
): void {
  reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(secure, maxAgeSeconds));
}

/** Clear the session cookie (`Max-Age=0`, same attributes). */
export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, "", sessionCookieOptions(secure, 0));
}
