/**
 * Limits per caller: a budget of requests a minute (enforced by @fastify/rate-limit, keyed here)
 * and a cap on open event streams. A learner's notebook polling in a loop, or a tab opened fifty
 * times, slows only that learner.
 */
import type { FastifyRequest } from "fastify";

/** Who a limit counts against. */
export type LimitedCaller = "person" | "runner" | "anonymous";

/** The limits of one controller. */
export interface RequestLimits {
  /** Requests a minute per caller. Default: a person 600, a runner 1200, an address before login 120. */
  readonly requestsPerMinute: Readonly<Record<LimitedCaller, number>>;
  /** Open event streams per person (or runner). Default 10: a few dashboard tabs with a run open each. */
  readonly eventStreamsPerPerson: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  requestsPerMinute: { person: 600, runner: 1200, anonymous: 120 },
  eventStreamsPerPerson: 10,
};

/** The key a request's limits count against: the person, the run's runner, or the client address. */
export function rateLimitKey(request: FastifyRequest): { kind: LimitedCaller; key: string } {
  const p = request.principal;
  if (!p) return { kind: "anonymous", key: `ip:${request.ip}` };
  if (p.role === "runner") return { kind: "runner", key: `runner:${p.runId}` };
  return { kind: "person", key: `${p.role}:${p.id}` };
}

/** Counts open streams per key; `acquire` gives a release function, or undefined at the cap. */
export class EventStreamLimiter {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerKey: number) {}

  acquire(key: string): (() => void) | undefined {
    const n = this.open.get(key) ?? 0;
    if (n >= this.maxPerKey) return undefined;
    this.open.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    };
  }

  /** Streams open for `key` now. */
  count(key: string): number {
    return this.open.get(key) ?? 0;
  }
}
