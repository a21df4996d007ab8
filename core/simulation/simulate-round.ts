/**
 * A discrete-event simulation of one exercise round: learners submit runs (memory, duration)
 * onto a GPU inventory, and a placement policy starts them. It compares labkit's scheduler with
 * two baselines on the same workload:
 * - `labkit`: `scheduleRound` (per-GPU best fit, HAMi slices, fair share);
 * - `wholeGpu`: one run per GPU, first come first served (the default Kubernetes device plugin);
 * - `clusterQuota`: runs are admitted while their requests fit the cluster's total memory (how
 *   Kueue's quotas see it), then wait as pending pods, holding their quota, until one GPU has room.
 *   Its pods ask HAMi for the same slice labkit grants (estimate + CUDA-context headroom), so the
 *   comparison isolates the missing per-GPU fit check.
 * Pure: same input, same report.
 */
import { grantableMiB, HAMI_CUDA_CONTEXT_HEADROOM_MIB } from "../scheduler/placement";
import { scheduleRound } from "../scheduler/schedule-round";
import type { GpuAllocation, GpuState, LearnerQuota, LearnerState, QueuedRun } from "../scheduler/types";

/** One run of the workload. */
export interface SimulatedRun {
  readonly runId: string;
  readonly learnerId: string;
  /** Predicted peak memory, MiB. */
  readonly requestMiB: number;
  /** Training time once started, minutes. */
  readonly durationMinutes: number;
  /** When the learner submits it, minutes from the start of the round. */
  readonly submitAtMinute: number;
}

export const POLICIES = ["labkit", "wholeGpu", "clusterQuota"] as const;
export type Policy = (typeof POLICIES)[number];

/** What the simulation needs. */
export interface SimulationInput {
  /** The GPU inventory, empty at the start (allocations are ignored). */
  readonly gpus: readonly GpuState[];
  readonly runs: readonly SimulatedRun[];
  /** Quota every learner has. */
  readonly quota: LearnerQuota;
  /** What the GPU nodes cost while the round runs, USD per hour (all pools together). Default 0. */
  readonly poolUsdPerHour?: number;
}

/** How one policy did. */
export interface PolicyResult {
  readonly policy: Policy;
  /** From the first submission to the last run's end, minutes. */
  readonly makespanMinutes: number;
  readonly meanWaitMinutes: number;
  readonly p95WaitMinutes: number;
  /** Requested memory × time over GPU memory × makespan (0–1). */
  readonly memoryUtilisation: number;
  /** GPU nodes for the makespan, USD. */
  readonly costUsd: number;
  /** Makespan ÷ the lower bound. */
  readonly makespanRatio: number;
  /** Runs that never started (refused, or larger than any GPU). */
  readonly unplaced: number;
}

/** The comparison of every policy on one workload. */
export interface SimulationReport {
  /** max(total requested memory·time ÷ total memory, longest run), minutes. */
  readonly lowerBoundMinutes: number;
  readonly results: readonly PolicyResult[];
}

interface Running {
  run: SimulatedRun;
  gpu: GpuState & { allocations: GpuAllocation[] };
  endMinute: number;
}

const MS_PER_MINUTE = 60_000;

/** The lower bound on any policy's makespan for a workload on an inventory, minutes. */
export function makespanLowerBound(gpus: readonly GpuState[], runs: readonly SimulatedRun[]): number {
  // HAMi's per-GPU reserve is unusable to any policy (HAMi-core's uncounted allocations).
  const capacityMiB = gpus.reduce((sum, g) => sum + grantableMiB(g), 0);
  const work = runs.reduce((sum, r) => sum + r.requestMiB * r.durationMinutes, 0);
  const longest = runs.reduce((max, r) => Math.max(max, r.durationMinutes), 0);
  return Math.max(capacityMiB > 0 ? work / capacityMiB : 0, longest);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

/** Simulate one policy; returns per-run start minutes (undefined for runs that never started). */
function runPolicy(policy: Policy, input: SimulationInput): Map<string, number> {
  const gpus = input.gpus.map((g) => ({
    ...g,
    mode: policy === "wholeGpu" ? ("exclusive" as const) : g.mode,
    allocations: [] as GpuAllocation[],
  }));
  const capacityMiB = gpus.reduce((sum, g) => sum + grantableMiB(g), 0);
  const pendingSubmissions = [...input.runs].sort(
    (a, b) => a.submitAtMinute - b.submitAtMinute || (a.runId < b.runId ? -1 : 1),
  );
  const learnerIds = [...new Set(input.runs.map((r) => r.learnerId))].sort();
  const usage = new Map(learnerIds.map((id) => [id, { gpuMinutesUsed: 0, running: 0 }]));
  const queue: SimulatedRun[] = [];
  /** clusterQuota: runs admitted against the cluster total, waiting for a GPU as pending pods. */
  const admitted: SimulatedRun[] = [];
  let admittedMiB = 0;
  const running: Running[] = [];
  const started = new Map<string, number>();
  let now = 0;

  const start = (run: SimulatedRun, gpu: (typeof gpus)[number], grantedMiB: number) => {
    gpu.allocations.push({ runId: run.runId, learnerId: run.learnerId, grantedMiB, requestMiB: run.requestMiB });
    running.push({ run, gpu, endMinute: now + run.durationMinutes });
    started.set(run.runId, now);
    usage.get(run.learnerId)!.running += 1;
  };

  const sliceMiB = (run: SimulatedRun) => run.requestMiB + HAMI_CUDA_CONTEXT_HEADROOM_MIB;
  const firstFitGpu = (requestMiB: number) =>
    gpus.find((g) => {
      const free = grantableMiB(g) - g.allocations.reduce((s, a) => s + a.grantedMiB, 0);
      return g.mode === "exclusive" ? g.allocations.length === 0 && requestMiB <= g.totalMiB : free >= requestMiB;
    });

  for (let guard = 0; guard < 1_000_000; guard++) {
    // Finish runs that end now, then take the submissions that arrive now.
    for (let i = running.length - 1; i >= 0; i--) {
      const r = running[i];
      if (r.endMinute > now) continue;
      r.gpu.allocations.splice(
        r.gpu.allocations.findIndex((a) => a.runId === r.run.runId),
        1,
      );
      const u = usage.get(r.run.learnerId)!;
      u.running -= 1;
      u.gpuMinutesUsed += r.run.durationMinutes;
      if (policy === "clusterQuota") admittedMiB -= sliceMiB(r.run);
      running.splice(i, 1);
    }
    while (pendingSubmissions.length > 0 && pendingSubmissions[0].submitAtMinute <= now)
      queue.push(pendingSubmissions.shift()!);

    if (policy === "labkit") {
      const learners: LearnerState[] = learnerIds.map((id) => ({
        learnerId: id,
        quota: input.quota,
        usage: usage.get(id)!,
      }));
      const asQueued: QueuedRun[] = queue.map((r) => ({
        runId: r.runId,
        learnerId: r.learnerId,
        requestMiB: r.requestMiB,
        submittedAt: r.submitAtMinute * MS_PER_MINUTE,
      }));
      const { decisions } = scheduleRound({ gpus, learners, queue: asQueued, now: now * MS_PER_MINUTE });
      for (const d of decisions) {
        if (d.kind === "wait") continue;
        const index = queue.findIndex((r) => r.runId === d.runId);
        const [run] = queue.splice(index, 1);
        if (d.kind === "place")
          start(run, gpus.find((g) => g.node === d.node && g.index === d.gpuIndex)!, d.grantedMiB);
      }
    } else if (policy === "wholeGpu") {
      while (queue.length > 0) {
        const gpu = firstFitGpu(queue[0].requestMiB);
        if (!gpu) {
          if (queue[0].requestMiB > Math.max(...gpus.map((g) => g.totalMiB))) queue.shift();
          break;
        }
        start(queue.shift()!, gpu, gpu.totalMiB);
      }
    } else {
      // Kueue-style admission against the cluster total, strict FIFO.
      while (queue.length > 0 && admittedMiB + sliceMiB(queue[0]) <= capacityMiB) {
        const run = queue.shift()!;
        admittedMiB += sliceMiB(run);
        admitted.push(run);
      }
      // Admitted pods bind in order wherever one GPU has room; the rest stay Pending.
      for (let i = 0; i < admitted.length; i++) {
        const gpu = firstFitGpu(sliceMiB(admitted[i]));
        if (!gpu) continue;
        start(admitted[i], gpu, sliceMiB(admitted[i]));
        admitted.splice(i, 1);
        i--;
      }
    }

    const nextEnd = running.reduce((min, r) => Math.min(min, r.endMinute), Number.POSITIVE_INFINITY);
    const nextSubmit = pendingSubmissions.length > 0 ? pendingSubmissions[0].submitAtMinute : Number.POSITIVE_INFINITY;
    const next = Math.min(nextEnd, nextSubmit);
    if (!Number.isFinite(next)) break;
    now = next;
  }
  return started;
}

/** Run the workload under every policy and compare them with the lower bound. */
export function simulateRound(input: SimulationInput): SimulationReport {
  const lowerBoundMinutes = makespanLowerBound(input.gpus, input.runs);
  const capacityMiB = input.gpus.reduce((sum, g) => sum + grantableMiB(g), 0);
  const firstSubmit = input.runs.reduce((min, r) => Math.min(min, r.submitAtMinute), Number.POSITIVE_INFINITY);
  const results = POLICIES.map((policy): PolicyResult => {
    const started = runPolicy(policy, input);
    const placed = input.runs.filter((r) => started.has(r.runId));
    const end = placed.reduce((max, r) => Math.max(max, started.get(r.runId)! + r.durationMinutes), 0);
    const makespanMinutes = placed.length > 0 ? end - firstSubmit : 0;
    const waits = placed.map((r) => started.get(r.runId)! - r.submitAtMinute).sort((a, b) => a - b);
    const work = placed.reduce((sum, r) => sum + r.requestMiB * r.durationMinutes, 0);
    return {
      policy,
      makespanMinutes,
      meanWaitMinutes: waits.length > 0 ? waits.reduce((a, b) => a + b, 0) / waits.length : 0,
      p95WaitMinutes: percentile(waits, 0.95),
      memoryUtilisation: makespanMinutes > 0 && capacityMiB > 0 ? work / (capacityMiB * makespanMinutes) : 0,
      costUsd: ((input.poolUsdPerHour ?? 0) * makespanMinutes) / 60,
      makespanRatio: lowerBoundMinutes > 0 ? makespanMinutes / lowerBoundMinutes : 0,
      unplaced: input.runs.length - placed.length,
    };
  });
  return { lowerBoundMinutes, results };
}
