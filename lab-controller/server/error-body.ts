/**
 * The body of every error answer (`{ error, problems? }`), defined once for the routes and the
 * OpenAPI document, and the wording of a request that fails its zod schema. The wording is the
 * one the API had when Ajv checked requests (`invalid request: body/dataset must have required
 * property 'name'`), so the Python client and the dashboard, which show these messages, see no
 * change.
 */
import type { FastifyRequest, FastifySchemaValidationError } from "fastify";
import { z } from "zod";

/** Every 4xx and 5xx answer of the API. */
export const ErrorBodySchema = z
  .object({
    error: z.string().describe("What was wrong, and what would fix it."),
    problems: z
      .array(z.string())
      .optional()
      .describe("One line per problem, `field: what is wrong` (invalid run specs and runner events)."),
  })
  .meta({ id: "ErrorBody", description: "An error: a 4xx for anything the caller can fix, 500 otherwise." });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** What each error status means, for the OpenAPI document. */
const ERROR_MEANINGS: Readonly<Record<number, string>> = {
  400: "Invalid input: `error` says what, and `problems` lists each field of an invalid run spec or runner event.",
  401: "No token or an unknown one (`WWW-Authenticate: Bearer`).",
  403: "Not allowed for this role, or a cookie request from another origin.",
  404: "No such run, or not yours.",
  413: "The body is too large (a dataset may be at most 16 MiB).",
  429: "Too many requests, or too many open event streams, for this caller: wait and retry.",
  500: "The controller failed; the request is logged.",
  503: "The controller lacks what this needs (e.g. an artifact bucket).",
};

/** An error answer in a route's `response` schema: the one error body, described for its status. */
interface ErrorResponse {
  readonly description: string;
  readonly content: { readonly "application/json": { readonly schema: typeof ErrorBodySchema } };
}

/** The error answers a route can give, by status; spread into a route's `response` schema. */
export function errorResponses<const S extends readonly number[]>(...statuses: S): { [K in S[number]]: ErrorResponse } {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: ERROR_MEANINGS[status] ?? "An error.",
        content: { "application/json": { schema: ErrorBodySchema } },
      },
    ]),
  ) as { [K in S[number]]: ErrorResponse };
}

/** The request part a validation error is about, as Fastify names it (`body`, `querystring`, `params`, `headers`). */
type RequestPart = "body" | "querystring" | "params" | "headers";

/** The value at `path` below `root`, or undefined. */
function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * One schema issue in the API's words, e.g. `body/dataset/name must NOT have more than 200
 * characters`. `input` is the request part the issue is about (to tell a missing property from
 * a wrong one).
 */
export function describeRequestIssue(issue: FastifySchemaValidationError, part: string, input: unknown): string {
  const path = issue.instancePath.split("/").filter((p) => p !== "");
  const where = [part, ...path].join("/");
  const params = issue.params as { expected?: string; maximum?: number; minimum?: number; origin?: string };
  switch (issue.keyword) {
    case "invalid_type":
      if (path.length > 0 && valueAt(input, path) === undefined) {
        return `${[part, ...path.slice(0, -1)].join("/")} must have required property '${path[path.length - 1]}'`;
      }
      return `${where} must be ${params.expected === "int" ? "integer" : params.expected}`;
    case "unrecognized_keys":
      return `${where} must NOT have additional properties`;
    case "too_big":
      if (params.origin === "string") return `${where} must NOT have more than ${params.maximum} characters`;
      break;
    case "too_small":
      if (params.origin === "string") return `${where} must NOT have fewer than ${params.minimum} characters`;
      break;
  }
  return `${where} ${issue.message ?? "is not valid"}`;
}

/** The answer to a request that failed its schema: the first problem, as the API has always worded it. */
export function invalidRequestBody(
  validation: readonly FastifySchemaValidationError[],
  part: string | undefined,
  request: FastifyRequest,
): ErrorBody {
  const context = (part ?? "body") as RequestPart;
  const input = context === "querystring" ? request.query : (request[context] as unknown);
  const first = validation[0];
  return {
    error: `invalid request: ${first ? describeRequestIssue(first, context, input) : "it does not match the schema"}`,
  };
}

/**
 * For a route with `attachValidation`: rethrow the request's validation error (answered 400 by
 * the error handler) unless every issue is one `deferred` accepts; those the handler reports
 * itself, after the checks that have always come first (who may submit, which exercise).
 */
export function rejectUnlessDeferred(
  request: FastifyRequest,
  deferred: (issue: FastifySchemaValidationError) => boolean,
): void {
  const error = request.validationError as (Error & { validation?: FastifySchemaValidationError[] }) | undefined;
  if (!error) return;
  const reported = (error.validation ?? []).filter((issue) => !deferred(issue));
  if (reported.length > 0 || !error.validation) {
    error.validation = reported.length > 0 ? reported : error.validation;
    throw error;
  }
}
