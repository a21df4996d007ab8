import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPublicModule } from "./load-public-module";

interface SseEvent {
  type: string;
  data: string;
  id: string;
}
interface EventStreamModule {
  createSseParser(): { feed(chunk: string): SseEvent[]; retryMs: number | undefined };
  reconnectDelayMs(attempt: number, backoff?: { initialMs?: number; maxMs?: number }, random?: () => number): number;
  RECONNECT_MAX_MS: number;
}
const { createSseParser, reconnectDelayMs, RECONNECT_MAX_MS } =
  await loadPublicModule<EventStreamModule>("event-stream.js");

const STREAM =
  ": keep-alive comment\n\n" +
  "retry: 1500\n" +
  'id: 7\nevent: progress\ndata: {"step":10,"loss":1.5}\n\n' +
  'event: phase\r\ndata: {"phase":"training"}\r\n\r\n' +
  "id: 9\ndata: line one\ndata: line two\n\n";

describe("the dashboard's SSE parser", () => {
  it("reads named events, ids, multi-line data, comments and retry advice", () => {
    const parser = createSseParser();
    expect(parser.feed(STREAM)).toEqual([
      { type: "progress", data: '{"step":10,"loss":1.5}', id: "7" },
      // No id line: the last event id carries over, as EventSource does.
      { type: "phase", data: '{"phase":"training"}', id: "7" },
      { type: "message", data: "line one\nline two", id: "9" },
    ]);
    expect(parser.retryMs).toBe(1500);
  });

  it("gives the same events however the stream is split into chunks (CRLF split across chunks included)", () => {
    const whole = createSseParser().feed(STREAM);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const parser = createSseParser();
        const events: SseEvent[] = [];
        let start = 0;
        for (const point of [...points, STREAM.length]) {
          events.push(...parser.feed(STREAM.slice(start, point)));
          start = point;
        }
        expect(events).toEqual(whole);
      }),
    );
  });

  it("holds back an event until its blank line arrives", () => {
    const parser = createSseParser();
    expect(parser.feed("id: 3\nevent: state\ndata: {}\n")).toEqual([]);
    expect(parser.feed("\n")).toEqual([{ type: "state", data: "{}", id: "3" }]);
  });
});

describe("reconnect backoff", () => {
  it("doubles from the first delay and stops growing at the ceiling", () => {
    const top = () => 1; // the ceiling of each jittered range
    expect(
      [0, 1, 2, 3, 4, 5, 10].map((attempt) => reconnectDelayMs(attempt, { initialMs: 500, maxMs: 8000 }, top)),
    ).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it("never waits less than half the ceiling nor more than the longest delay", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const delayMs = reconnectDelayMs(attempt, {}, () => r);
          expect(delayMs).toBeLessThanOrEqual(RECONNECT_MAX_MS);
          expect(delayMs).toBeGreaterThanOrEqual(Math.floor(reconnectDelayMs(attempt, {}, () => 0.999999) / 2));
        },
      ),
    );
  });
});
