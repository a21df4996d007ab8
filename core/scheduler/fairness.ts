/**
 * Queue order: the learner who has used the least GPU time goes first, and every minute a run
 * waits counts as one GPU-minute less, so no learner waits forever behind lighter users.
 */
import type { LearnerState, QueuedRun } from "./types";

/** GPU-minutes of usage one minute of waiting makes up for. Default 1. */
export const WAIT_CREDIT_GPU_MINUTES_PER_MINUTE = 1;

/** A run's fairness score: lower goes first. */
export function fairnessScore(run: QueuedRun, learner: LearnerState | undefined, now: number): number {
  const waitedMinutes = Math.max(0, (now - run.submittedAt) / 60_000);
  return (learner?.usage.gpuMinutesUsed ?? 0) - waitedMinutes * WAIT_CREDIT_GPU_MINUTES_PER_MINUTE;
}

/** The queue in the order the scheduler considers it; ties by submission time, then run id (deterministic). */
export function orderQueue(queue: readonly QueuedRun[], learners: readonly LearnerState[], now: number): QueuedRun[] {
  const byId = new Map(learners.map((l) => [l.learnerId, l]));
  return [...queue].sort(
    (a, b) =>
      fairnessScore(a, byId.get(a.learnerId), now) - fairnessScore(b, byId.get(b.learnerId), now) ||
      a.submittedAt - b.submittedAt ||
      (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0),
  );
}
