/**
 * What every route of the lab-controller's API shares: the server's dependencies, the request's
 * authenticated principal, the body limit of a run submission and the person check. A module of
 * its own, so the route files and the server that registers them do not import each other.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Cohort } from "../../schema/cohort";
import { MAX_DATASET_BYTES } from "../artifacts/dataset-upload";
import type { RunLifecycle } from "../runs/run-lifecycle";
import type { RunStore } from "../store/run-store";
import type { Credential } from "./authenticate";
import type { RequestLimits } from "./request-limits";
import type { Principal, TokenDirectory } from "./token-directory";

/** What the server needs. */
export interface ControllerServerDeps {
  readonly cohort: Cohort;
  readonly store: RunStore;
  readonly lifecycle: RunLifecycle;
  readonly tokens: TokenDirectory;
  /** Extra samples for `/metrics` (informer restarts...). Default none. */
  readonly extraMetrics?: () => Array<{ name: string; help: string; type: "gauge" | "counter"; value: number }>;
  /** Whether the controller is ready (store open, cluster listed). Default: always. */
  readonly ready?: () => boolean;
  /** Serve the dashboard at `/dashboard/` (dashboard/plugin.ts). Default true. */
  readonly dashboard?: boolean;
  /** Request budgets and event-stream caps. Default DEFAULT_REQUEST_LIMITS (request-limits.ts). */
  readonly limits?: RequestLimits;
  /**
   * Origins besides the controller's own (scheme + Host) whose pages may send cookie-authenticated
   * requests that change something, e.g. `https://labs.example.org`. Default none.
   */
  readonly publicOrigins?: readonly string[];
  /**
   * Browsers reach the controller over TLS (the cohort has a domain; TLS ends at the load
   * balancer): session cookies are `Secure` and `__Host-`. Default false.
   */
  readonly publicTls?: boolean;
  /** Fastify's logger. Default off. */
  readonly logger?: boolean;
}

declare module "fastify" {
  interface FastifyInstance {
    /** ControllerServerDeps.publicTls. */
    publicTls: boolean;
  }
  interface FastifyRequest {
    /** The authenticated caller; set by the auth hook on every `/v1/` route except login. */
    principal?: Principal;
    /** How the caller authenticated (`bearer`, `session` cookie or `runner` token). */
    credential?: Credential;
  }
  interface FastifyContextConfig {
    /** Skip authentication (health, metrics, login, docs). */
    public?: boolean;
    /** A server-sent event stream: counts against the caller's open-stream cap. */
    eventStream?: boolean;
  }
}

/** Body limit of `POST /v1/runs`: a base64 dataset of `MAX_DATASET_BYTES` plus the spec. */
export const RUN_BODY_LIMIT_BYTES = Math.ceil((MAX_DATASET_BYTES * 4) / 3) + 64 * 1024;

/** The caller as a learner or instructor; answers 403 for a runner token. */
export function requirePerson(request: FastifyRequest, reply: FastifyReply) {
  const p = request.principal;
  if (!p || p.role === "runner") {
    reply.code(403).send({ error: "a runner token may only post events for its own run" });
    return undefined;
  }
  return p;
}

/**
 * The learner a request acts for: the caller, or (instructors) `asked`, a learner on the roster.
 * Answers 403 when a learner names someone else and 400 when an instructor names no learner;
 * `verb` and `noun` word the answer ("submit" "runs", "upload" "datasets").
 */
export function actingLearner(
  request: FastifyRequest,
  reply: FastifyReply,
  cohort: Cohort,
  asked: string | undefined,
  verb: string,
  noun: string,
): string | undefined {
  const p = requirePerson(request, reply);
  if (!p) return undefined;
  if (p.role === "learner") {
    if (asked !== undefined && asked !== p.id) {
      reply.code(403).send({ error: `a learner can only ${verb} ${noun} for themselves: remove \`learnerId\`` });
      return undefined;
    }
    return p.id;
  }
  if (!asked || !cohort.learners.some((l) => l.id === asked)) {
    reply
      .code(400)
      .send({ error: `instructors ${verb} on behalf of a learner: set \`learnerId\` to a learner on the roster` });
    return undefined;
  }
  return asked;
}
