/**
 * What a runner event may say about its run, beyond its schema (schema/run-result.ts bounds each
 * number on its own): steps never go back within an attempt and never pass the run's total, and
 * memory never exceeds what the run can hold on its GPU (its HAMi grant, or the whole GPU or MIG
 * slice, plus slack). Pure: the caller passes the run and its GPU.
 */
import type { SharingMode } from "../../schema/cohort";
import type { RunnerEvent } from "../../schema/run-result";
import type { Run } from "./run";

/**
 * Memory a run may report above its GPU memory, MiB: the larger of this and a tenth of it.
 * HAMi leaves some allocations and the CUDA context uncounted (DESIGN.md), and PyTorch rounds
 * its reservations up.
 */
export const GPU_MEMORY_SLACK_MIB = 1024;

/** The GPU memory a run can use, for the memory check. */
export interface RunGpuMemory {
  /** How the run's pool shares GPUs. */
  readonly sharing: SharingMode;
  /** VRAM the run was granted, MiB (under HAMi, the limit it runs under). */
  readonly grantedMiB: number;
  /** Memory of the run's GPU (or MIG slice), MiB; undefined when unknown. */
  readonly deviceMiB?: number;
}

/**
 * The most memory a run can report, MiB: under HAMi its grant, otherwise the whole GPU (or MIG
 * slice), plus `GPU_MEMORY_SLACK_MIB` or a tenth, whichever is larger. Undefined when nothing
 * bounds it (no grant and an unknown GPU): the schema's bound then applies alone.
 */
export function memoryCeilingMiB(gpu: RunGpuMemory): number | undefined {
  const base = gpu.sharing === "hami" ? gpu.grantedMiB : Math.max(gpu.grantedMiB, gpu.deviceMiB ?? 0);
  if (!(base > 0)) return undefined;
  return Math.ceil(base + Math.max(GPU_MEMORY_SLACK_MIB, base / 10));
}

/**
 * The problems of an event given its run as stored (its `step` and `totalSteps` are those of
 * the current attempt) and the run's memory ceiling, one `field: what is wrong` line each;
 * empty when the event is plausible.
 */
export function runnerEventProblems(
  event: RunnerEvent,
  run: Pick<Run, "step" | "totalSteps">,
  ceilingMiB: number | undefined,
): string[] {
  const problems: string[] = [];
  if (event.type === "progress") {
    if (run.step !== undefined && event.step < run.step) {
      problems.push(
        `step: ${event.step} is before step ${run.step}, which this attempt already reported; steps never go back within an attempt`,
      );
    }
    const total = event.totalSteps ?? run.totalSteps;
    if (total !== undefined && event.step > total) {
      problems.push(`step: ${event.step} is past the run's last step (totalSteps ${total})`);
    }
  } else if (event.type === "memory" && ceilingMiB !== undefined) {
    for (const field of ["allocatedMiB", "reservedMiB", "peakMiB"] as const) {
      if (event[field] > ceilingMiB) {
        problems.push(
          `${field}: ${event[field]} MiB is more than this run can hold on its GPU (at most ${ceilingMiB} MiB, slack included)`,
        );
      }
    }
  }
  return problems;
}
