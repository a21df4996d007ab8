/**
 * Strict UTF-8 for what the API reads. Node decodes invalid bytes to U+FFFD without a word, so a
 * body or query with broken encoding would be stored as something the caller never sent; the
 * API answers 400 instead (RFC 8259 §8.1: JSON exchanged between systems MUST be UTF-8).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** An error the error handler answers with its status and message. */
function badRequest(message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode: 400 });
}

/**
 * A JSON body parser that refuses invalid UTF-8, then parses with Fastify's own JSON parser (its
 * `__proto__` and `constructor` poisoning checks included).
 */
export function parseUtf8Json(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser("error", "error");
  return (request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void): void => {
    let text: string;
    try {
      text = STRICT_UTF8.decode(body);
    } catch {
      done(badRequest("invalid request: the body is not valid UTF-8"));
      return;
    }
    parseJson(request, text, done);
  };
}

/** Whether every percent-escape in a URL's query decodes to valid UTF-8. */
export function queryIsValidUtf8(url: string): boolean {
  const q = url.indexOf("?");
  if (q < 0) return true;
  try {
    decodeURIComponent(url.slice(q + 1).replace(/\+/g, " "));
    return true;
  } catch {
    return false;
  }
}
