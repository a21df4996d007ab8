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
  /** Fastify's logger. Default off. */
  readonly logger?: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated caller; set by the auth hook on every `/v1/` route except login. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Skip authentication (health, metrics, login, docs). */
    public?: boolean;
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
