/**
 * Who is calling, and whether a browser request may act for them.
 *
 * - `Authorization: Bearer <token>`: a learner's or instructor's token (looked up by hash), or the
 *   runner token of the run named in the path. Scripts and the notebooks' client use it.
 * - The session cookie: an opaque id from `POST /v1/login`, looked up in the controller's
 *   database (store/session-store.ts). The token itself never sits in a cookie, so logging out
 *   or revoking a learner ends access at once.
 *
 * Behind TLS the cookie is `__Host-labkit_session`: browsers accept that name only with
 * `Secure`, `Path=/` and no `Domain` (RFC 6265bis §4.1.3.2), so it is host-only and a sibling
 * host (a learner's lab on `<id>.<labs domain>`) can neither read nor plant it. Without TLS
 * (`insecure: true`) it is `labkit_session`. Cookies are parsed by @fastify/cookie.
 *
 * A cookie is sent by the browser whatever page asked, so a request that changes something and
 * authenticates with the cookie must come from the dashboard's own origin (`Origin` header,
 * which browsers send on every non-GET fetch; Fetch standard §3.1) — see `originAllowed`.
 */
import type { CookieSerializeOptions } from "@fastify/cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { RunStore } from "../store/run-store";
import { type Principal, sha256Hex, type TokenDirectory } from "./token-directory";

/** Name of the session cookie behind TLS (host-only by the `__Host-` prefix) and over plain HTTP. */
export const SESSION_COOKIE = { secure: "__Host-labkit_session", insecure: "labkit_session" } as const;

/** How the caller proved who they are. */
export type Credential = "bearer" | "session" | "runner";

/** An authenticated caller. `sessionId` is set for cookie sessions. */
export interface Authenticated {
  readonly principal: Principal;
  readonly credential: Credential;
  readonly sessionId?: string;
}

/**
 * Whether the browser reached labkit over TLS. TLS ends at the load balancer, so the controller
 * cannot see it on the connection: the cohort says so (`publicTls`, set when it has a domain),
 * and `X-Forwarded-Proto: https` counts too (for gateways that set it).
 */
export function behindTls(request: FastifyRequest): boolean {
  return request.server.publicTls || request.protocol === "https" || request.headers["x-forwarded-proto"] === "https";
}

/** The session id the browser sent, from the cookie name that fits the connection. */
export function presentedSessionId(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[behindTls(request) ? SESSION_COOKIE.secure : SESSION_COOKIE.insecure];
  return value && value.length <= 128 ? value : undefined;
}

/** The bearer token of the Authorization header; undefined without one, null when malformed. */
function bearerToken(request: FastifyRequest): string | undefined | null {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const m = header.match(/^Bearer\s+(\S{1,512})\s*$/i);
  return m ? m[1] : null;
}

/**
 * The caller behind a request, or undefined. A bearer header wins over a cookie (a script's
 * token is explicit); `runId` is the run named in the path, for runner tokens.
 */
export function authenticate(
  request: FastifyRequest,
  tokens: TokenDirectory,
  store: RunStore,
  runId: string | undefined,
): Authenticated | undefined {
  const token = bearerToken(request);
  if (token === null) return undefined;
  if (token !== undefined) {
    const person = tokens.lookup(token);
    if (person) return { principal: person, credential: "bearer" };
    if (runId) {
      const expected = store.runTokenSha256(runId);
      if (expected && expected === sha256Hex(token))
        return { principal: { role: "runner", runId }, credential: "runner" };
    }
    return undefined;
  }
  const sessionId = presentedSessionId(request);
  if (!sessionId) return undefined;
  const person = store.sessions.lookup(sessionId);
  return person ? { principal: person, credential: "session", sessionId } : undefined;
}

/** Methods that never change anything, which a cross-site page may trigger without harm. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether a method may change state. */
export function changesState(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Whether a cookie-authenticated request comes from an origin allowed to act for the user: the
 * controller's own (scheme + Host the request came to) or one of `publicOrigins`. A request
 * without `Origin` passes only when `Sec-Fetch-Site` says `same-origin` (Fetch Metadata).
 */
export function originAllowed(request: FastifyRequest, publicOrigins: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return request.headers["sec-fetch-site"] === "same-origin";
  const own = `${behindTls(request) ? "https" : "http"}://${request.headers.host ?? ""}`;
  return origin === own || publicOrigins.includes(origin);
}

/** How long a session cookie lasts, seconds: the session's absolute lifetime. */
function sessionCookieOptions(secure: boolean, maxAgeSeconds: number): CookieSerializeOptions {
  return { path: "/", httpOnly: true, sameSite: "strict", maxAge: maxAgeSeconds, secure };
}

/** Set the session cookie on `reply` for `maxAgeSeconds`; host-only, `Secure` behind TLS. */
export function setSessionCookie(reply: FastifyReply, sessionId: string, secure: boolean, maxAgeSeconds: number): void {
  reply.setCookie(
    secure ? SESSION_COOKIE.secure : SESSION_COOKIE.insecure,
    sessionId,
    sessionCookieOptions(secure, maxAgeSeconds),
  );
}

/** Clear the session cookie (`Max-Age=0`, same attributes). */
export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.setCookie(secure ? SESSION_COOKIE.secure : SESSION_COOKIE.insecure, "", sessionCookieOptions(secure, 0));
}
