/**
 * Server-sent events on a raw Node response: named events with JSON data and `id:` lines, a
 * replay from `Last-Event-ID`, and a comment heartbeat so proxies keep the stream open.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

/** One SSE message. */
export interface SseMessage {
  readonly id?: number;
  readonly event: string;
  readonly data: unknown;
}

/** An open stream; `send` writes one message, `close` ends it. */
export interface SseStream {
  send(message: SseMessage): void;
  /** Called once when the client goes away. */
  onClose(listener: () => void): void;
}

/** Heartbeat interval, ms. Default 15000 (below the 60 s idle timeout of common proxies). */
export const SSE_HEARTBEAT_MS = 15_000;

/** The client's last seen event id: `Last-Event-ID` header or `?lastEventId=`; 0 when none. */
export function lastEventId(request: FastifyRequest): number {
  const header = request.headers["last-event-id"];
  const query = (request.query as { lastEventId?: string } | undefined)?.lastEventId;
  const value = Number(Array.isArray(header) ? header[0] : (header ?? query ?? "0"));
  return Number.isInteger(value) && value > 0 ? value : 0;
}

/** Take over the response and open an event stream. */
export function openSseStream(request: FastifyRequest, reply: FastifyReply, heartbeatMs = SSE_HEARTBEAT_MS): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    // nginx-style proxies buffer responses unless told not to.
    "x-accel-buffering": "no",
  });
  res.write("retry: 3000\n\n");
  const listeners: Array<() => void> = [];
  const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), heartbeatMs);
  heartbeat.unref();
  let closed = false;
  request.raw.on("close", () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const l of listeners) l();
  });
  return {
    send(message) {
      if (closed) return;
      const id = message.id !== undefined ? `id: ${message.id}\n` : "";
      res.write(`${id}event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`);
    },
    onClose(listener) {
      listeners.push(listener);
    },
  };
}
