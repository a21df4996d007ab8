/**
 * Admission: can this run ever run (refuse with a reason if not), and may it start now under
 * its learner's quota (wait if not)?
 */
import { largestSlotMiB } from "./placement";
import type { GpuState, LearnerState, QueuedRun } from "./types";

const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;

/** Why `run` can never run as submitted, or undefined when it could. */
export function refusalReason(
  run: QueuedRun,
  learner: LearnerState | undefined,
  gpus: readonly GpuState[],
): string | undefined {
  if (!learner) return `learner \`${run.learnerId}\` is not on the cohort's roster; ask the instructor to add them`;
  if (!(run.requestMiB > 0)) return `the run's VRAM request (${run.requestMiB} MiB) is not a positive number`;
  if (run.requestMiB > learner.quota.vramMiB) {
    return `the run needs about ${gib(run.requestMiB)} of GPU memory, more than your quota of ${gib(learner.quota.vramMiB)}: turn gradient checkpointing on, lower the micro batch or sequence length, or use qlora (\`labkit-run estimate\` in your lab shows configs that fit)`;
  }
  const largest = largestSlotMiB(gpus);
  if (run.requestMiB > largest) {
    return `the run needs about ${gib(run.requestMiB)}, but the largest GPU slot in the cohort's pools can give ${gib(largest)}: make the run smaller (\`labkit-run estimate\` in your lab shows configs that fit)`;
  }
  const leftMinutes = learner.quota.gpuMinutes - learner.usage.gpuMinutesUsed;
  if (leftMinutes <= 0) {
    return `you have used all ${learner.quota.gpuMinutes} of your GPU-minutes; ask the instructor for more`;
  }
  if (run.expectedMinutes !== undefined && run.expectedMinutes > leftMinutes) {
    return `the run is expected to take ${Math.ceil(run.expectedMinutes)} GPU-minutes but you have ${Math.floor(leftMinutes)} left: set a smaller maxSteps or fewer epochs`;
  }
  return undefined;
}

/** What the learner holds now: runs and granted-for MiB (estimates) of runs running or placed this round. */
export interface LearnerHolding {
  running: number;
  requestedMiB: number;
}

/** Why `run` must wait for its learner's quota, or undefined when the quota lets it start now. */
export function quotaWaitReason(run: QueuedRun, learner: LearnerState, holding: LearnerHolding): string | undefined {
  if (holding.running >= learner.quota.concurrentRuns) {
    return `you have ${holding.running} run${holding.running === 1 ? "" : "s"} running (your limit is ${learner.quota.concurrentRuns}); it starts when one finishes`;
  }
  if (holding.requestedMiB + run.requestMiB > learner.quota.vramMiB) {
    return `your running runs hold ${gib(holding.requestedMiB)} of your ${gib(learner.quota.vramMiB)} quota; it starts when enough is free`;
  }
  return undefined;
}
