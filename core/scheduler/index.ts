/** The VRAM-aware scheduler: pure functions over plain data (see docs/scheduler.md). */
export { quotaWaitReason, refusalReason } from "./admission";
export { fairnessScore, orderQueue, WAIT_CREDIT_GPU_MINUTES_PER_MINUTE } from "./fairness";
export {
  bestFit,
  freeMiB,
  gpuKey,
  grantableMiB,
  grantFor,
  HAMI_CUDA_CONTEXT_HEADROOM_MIB,
  HAMI_GPU_RESERVE_MIB,
  hasRoom,
  largestSlotMiB,
} from "./placement";
export { STARVATION_GUARD_MINUTES, scheduleRound } from "./schedule-round";
export type * from "./types";
