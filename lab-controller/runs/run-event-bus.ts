/**
 * In-process fan-out of run events to SSE subscribers: one run's stored events (progress,
 * phase, memory, metrics, state) and, for the instructor-wide stream, every run's state
 * changes. Subscribers that fall behind are not buffered here: they replay from the store by
 * sequence number (`Last-Event-ID`).
 */
import { EventEmitter } from "node:events";
import type { StoredEvent } from "../store/run-store";
import type { Run } from "./run";

/** Publishes and subscribes run events. */
export class RunEventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open SSE stream; a class of 200 learners with a tab each is normal.
    this.emitter.setMaxListeners(0);
  }

  /** A stored event of one run. */
  publish(runId: string, event: StoredEvent): void {
    this.emitter.emit(`run:${runId}`, event);
  }

  /** A run's new state (for `GET /v1/events`). */
  publishState(run: Run): void {
    this.emitter.emit("state", run);
  }

  /** Follow one run's events; returns the unsubscribe function. */
  onRun(runId: string, listener: (event: StoredEvent) => void): () => void {
    this.emitter.on(`run:${runId}`, listener);
    return () => this.emitter.off(`run:${runId}`, listener);
  }

  /** Follow every run's state changes; returns the unsubscribe function. */
  onState(listener: (run: Run) => void): () => void {
    this.emitter.on("state", listener);
    return () => this.emitter.off("state", listener);
  }
}
