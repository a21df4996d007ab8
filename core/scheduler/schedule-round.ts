/**
 * One scheduling round: every queued run is placed, kept waiting or refused. Pure and
 * deterministic: the same state (in any array order) gives the same decisions.
 */
import { type LearnerHolding, quotaWaitReason, refusalReason } from "./admission";
import { orderQueue } from "./fairness";
import { bestFit, freeMiB, gpuKey, grantFor } from "./placement";
import type { GpuAllocation, GpuState, SchedulerState, SchedulingDecision, SchedulingRound } from "./types";

/**
 * Minutes a run may wait for room before the scheduler holds a GPU back for it, so that small
 * runs cannot keep filling every gap while a large one starves. Default 10.
 */
export const STARVATION_GUARD_MINUTES = 10;

const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;

/** Decide, for every queued run, whether it starts now (and where), waits, or is refused. */
export function scheduleRound(state: SchedulerState): SchedulingRound {
  const gpus: Array<GpuState & { allocations: GpuAllocation[] }> = [...state.gpus]
    .map((gpu) => ({ ...gpu, allocations: [...gpu.allocations] }))
    .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.index - b.index));
  const learners = new Map(state.learners.map((l) => [l.learnerId, l]));
  const holdings = new Map<string, LearnerHolding>();
  for (const learner of state.learners)
    holdings.set(learner.learnerId, { running: learner.usage.running, requestedMiB: 0 });
  for (const gpu of gpus) {
    for (const a of gpu.allocations) {
      const holding = holdings.get(a.learnerId);
      if (holding) holding.requestedMiB += a.requestMiB ?? a.grantedMiB;
    }
  }

  const reserved = new Set<string>();
  const decisions: SchedulingDecision[] = [];
  let position = 0;
  for (const run of orderQueue(state.queue, state.learners, state.now)) {
    const learner = learners.get(run.learnerId);
    const refusal = refusalReason(run, learner, gpus);
    if (refusal || !learner) {
      decisions.push({
        kind: "refuse",
        runId: run.runId,
        learnerId: run.learnerId,
        reason: refusal ?? "unknown learner",
      });
      continue;
    }
    const holding = holdings.get(run.learnerId)!;
    const quotaReason = quotaWaitReason(run, learner, holding);
    if (quotaReason) {
      decisions.push({
        kind: "wait",
        runId: run.runId,
        learnerId: run.learnerId,
        reason: quotaReason,
        position: ++position,
      });
      continue;
    }
    const fit = bestFit(gpus, run.requestMiB, reserved);
    if (fit) {
      const gpu = gpus.find((g) => g === fit.gpu)!;
      gpu.allocations.push({
        runId: run.runId,
        learnerId: run.learnerId,
        grantedMiB: fit.grantedMiB,
        requestMiB: run.requestMiB,
      });
      holding.running += 1;
      holding.requestedMiB += run.requestMiB;
      decisions.push({
        kind: "place",
        runId: run.runId,
        learnerId: run.learnerId,
        node: gpu.node,
        gpuIndex: gpu.index,
        grantedMiB: fit.grantedMiB,
      });
      continue;
    }
    const waitedMinutes = (state.now - run.submittedAt) / 60_000;
    if (waitedMinutes >= STARVATION_GUARD_MINUTES) {
      // Hold back the GPU that will soonest have room for it: the one with the most free memory.
      const candidates = gpus.filter((g) => !reserved.has(gpuKey(g)) && grantFor(g, run.requestMiB) !== undefined);
      const target = candidates.reduce<GpuState | undefined>(
        (best, g) => (!best || freeMiB(g) > freeMiB(best) ? g : best),
        undefined,
      );
      if (target) reserved.add(gpuKey(target));
    }
    const mostFree = gpus.reduce((max, g) => Math.max(max, freeMiB(g)), 0);
    decisions.push({
      kind: "wait",
      runId: run.runId,
      learnerId: run.learnerId,
      reason: `no GPU has room for ${gib(run.requestMiB)} right now (the most free on one GPU is ${gib(mostFree)}); it starts when a run finishes`,
      position: ++position,
    });
  }
  return { decisions };
}
