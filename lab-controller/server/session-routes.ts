/**
 * Sessions and tokens: `POST /v1/login` (a token for a server-side session cookie),
 * `POST /v1/logout` (ends it), `GET /v1/me`, and for instructors `POST /v1/learners/:id/revoke`
 * (ends every session of a learner) and `POST /v1/learners/:id/token` (issues a new token; the
 * old one and every session stop working at once). `labkit roster rotate <id>` calls the last.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { LearnerIdSchema } from "./api-identifiers";
import { behindTls, clearSessionCookie, presentedSessionId, setSessionCookie } from "./authenticate";
import { errorResponses } from "./error-body";
import { type ControllerServerDeps, requirePerson } from "./server-context";
import { sha256Hex } from "./token-directory";

/** Body of `POST /v1/login`. */
export const LoginRequestSchema = z
  .object({ token: z.string().min(1).max(512).describe("A learner's or instructor's token.") })
  .strict();

/** A learner or instructor, as `/v1/login` and `/v1/me` answer. */
export const PersonSchema = z.object({
  role: z.enum(["learner", "instructor"]),
  id: z.string(),
  name: z.string(),
});

/** A learner named in the path: a DNS label, as on the roster. */
const LearnerParamsSchema = z.object({ id: LearnerIdSchema });

/** Register the session routes on `app`. */
export function registerSessionRoutes(server: FastifyInstance, deps: ControllerServerDeps): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const { tokens, store } = deps;
  const sessions = store.sessions;

  app.post(
    "/v1/login",
    {
      config: { public: true },
      schema: {
        summary: "Exchange a token for a server-side session (an HttpOnly, host-only cookie), for the dashboard.",
        tags: ["auth"],
        security: [],
        body: LoginRequestSchema,
        response: { 200: PersonSchema, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const person = tokens.lookup(request.body.token);
      if (!person) return reply.code(401).send({ error: "unknown token: copy it again from your welcome page" });
      const session = sessions.create(person);
      setSessionCookie(reply, session.id, behindTls(request), Math.floor(sessions.limits.maxAgeMs / 1000));
      return { role: person.role, id: person.id, name: person.name };
    },
  );

  app.post(
    "/v1/logout",
    {
      config: { public: true },
      schema: {
        summary: "End this browser's session and clear its cookie.",
        tags: ["auth"],
        security: [],
        response: { 200: z.object({ ok: z.boolean(), ended: z.boolean() }), ...errorResponses(403, 429) },
      },
    },
    async (request, reply) => {
      const id = presentedSessionId(request);
      const ended = id ? sessions.end(id) : false;
      clearSessionCookie(reply, behindTls(request));
      return { ok: true, ended };
    },
  );

  app.get(
    "/v1/me",
    {
      schema: {
        summary: "Who the token or session belongs to.",
        tags: ["auth"],
        response: { 200: PersonSchema, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const p = requirePerson(request, reply);
      if (!p) return reply;
      return { role: p.role, id: p.id, name: p.name };
    },
  );

  /** The learner named in the path, if the caller is an instructor and the learner is on the roster. */
  const learnerForInstructor = (
    request: Parameters<typeof requirePerson>[0],
    reply: Parameters<typeof requirePerson>[1],
    id: string,
  ) => {
    const p = requirePerson(request, reply);
    if (!p) return undefined;
    if (p.role !== "instructor") {
      reply.code(403).send({ error: "only instructors can revoke learners or rotate their tokens" });
      return undefined;
    }
    const learner = tokens.person("learner", id);
    if (!learner) {
      reply.code(404).send({ error: `learner \`${id}\` is not on this cohort's roster` });
      return undefined;
    }
    return learner;
  };

  app.post(
    "/v1/learners/:id/revoke",
    {
      schema: {
        summary: "Instructors: end every session of a learner (their token still logs in; rotate it to lock them out).",
        tags: ["auth"],
        params: LearnerParamsSchema,
        response: {
          200: z.object({ learnerId: z.string(), sessionsEnded: z.number().int() }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const learner = learnerForInstructor(request, reply, request.params.id);
      if (!learner) return reply;
      return { learnerId: learner.id, sessionsEnded: sessions.endAllOf(learner.id) };
    },
  );

  app.post(
    "/v1/learners/:id/token",
    {
      schema: {
        summary:
          "Instructors: issue a learner a new API token. The old token and every session stop working; the new one is shown once.",
        tags: ["auth"],
        params: LearnerParamsSchema,
        response: {
          200: z.object({
            learnerId: z.string(),
            token: z.string().describe("The new token: give it to the learner; the controller keeps only its hash."),
            sessionsEnded: z.number().int(),
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const learner = learnerForInstructor(request, reply, request.params.id);
      if (!learner) return reply;
      const token = randomBytes(24).toString("base64url");
      const tokenSha256 = sha256Hex(token);
      const replacedSha256 = tokens.hashOf("learner", learner.id) as string;
      sessions.saveRotation({ personId: learner.id, role: "learner", tokenSha256, replacedSha256 });
      tokens.applyRotation("learner", learner.id, tokenSha256);
      return { learnerId: learner.id, token, sessionsEnded: sessions.endAllOf(learner.id) };
    },
  );
}
