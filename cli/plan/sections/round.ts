/**
 * Plan section: a simulated exercise round per exercise — every learner submits the exercise's
 * default run once, within the first minute — on the cohort's GPU pools, compared with a whole
 * GPU per run and with cluster-total quotas.
 */

import { poolNodeUsdPerHour } from "../../../core/cost/cohort-cost";
import { gpuPoolCapacity } from "../../../core/cost/gpu-pools";
import type { GpuState } from "../../../core/scheduler/types";
import { type SimulatedRun, type SimulationReport, simulateRound } from "../../../core/simulation/simulate-round";
import { estimatePeakVram, UnknownModelError } from "../../../core/vram/estimate-peak-vram";
import type { Cohort } from "../../../schema/cohort";
import { resolveRunSpec } from "../../../schema/run-spec";
import { renderTable, usd } from "../../format/table";
import { planSection } from "../plan-section";

/** Every GPU of the cohort's pools, empty, as the scheduler sees them. */
export function cohortGpuInventory(cohort: Pick<Cohort, "gpuPools">): GpuState[] {
  const gpus: GpuState[] = [];
  for (const pool of cohort.gpuPools) {
    const capacity = gpuPoolCapacity(pool);
    for (let node = 0; node < capacity.nodes; node++) {
      for (let index = 0; index < capacity.gpusPerNode; index++) {
        gpus.push({
          node: `${pool.name}-${node}`,
          index,
          product: capacity.product,
          totalMiB: capacity.gpuMemoryMiB,
          mode: pool.sharing,
          ...(pool.sharing === "mig" ? { migProfileMiB: capacity.slotMemoryMiB, migSlots: capacity.slotsPerGpu } : {}),
          allocations: [],
        });
      }
    }
  }
  return gpus;
}

/** Learner k's run takes 80–120% of the expected time (a fixed spread, so the plan is reproducible). */
const durationSpread = (k: number) => 0.8 + 0.4 * (((k * 7919) % 101) / 100);

export const roundSection = planSection({
  id: "round",
  title: "Simulated exercise round (every learner runs the exercise's default once)",
  build: (cohort) => {
    const gpus = cohortGpuInventory(cohort);
    const poolUsdPerHour = cohort.gpuPools.reduce((sum, pool) => sum + pool.count * poolNodeUsdPerHour(pool), 0);
    const quota = {
      vramMiB: cohort.quotas.vramGiB * 1024,
      concurrentRuns: cohort.quotas.concurrentRuns,
      gpuMinutes: cohort.quotas.gpuMinutes,
    };
    const rounds: Array<{ exercise: string; requestMiB: number | null; report: SimulationReport | null }> = [];
    for (const exercise of cohort.exercises) {
      const spec = resolveRunSpec({}, exercise.id, exercise.defaults);
      let requestMiB: number;
      try {
        requestMiB = estimatePeakVram(spec).totalMiB;
      } catch (error) {
        if (!(error instanceof UnknownModelError)) throw error;
        rounds.push({ exercise: exercise.id, requestMiB: null, report: null });
        continue;
      }
      const runs: SimulatedRun[] = cohort.learners.map((learner, k) => ({
        runId: `${exercise.id}-${learner.id}`,
        learnerId: learner.id,
        requestMiB,
        durationMinutes: Math.round(exercise.expectedMinutes * durationSpread(k) * 10) / 10,
        submitAtMinute: Math.round((k / Math.max(1, cohort.learners.length)) * 100) / 100,
      }));
      rounds.push({ exercise: exercise.id, requestMiB, report: simulateRound({ gpus, runs, quota, poolUsdPerHour }) });
    }
    return { gpus: gpus.length, poolUsdPerHour, rounds };
  },
  render: (data) => {
    const rows: Array<Array<string | number>> = [];
    const policyName = { labkit: "labkit", wholeGpu: "whole GPU/run", clusterQuota: "cluster quota" } as const;
    for (const round of data.rounds) {
      if (!round.report) {
        rows.push([round.exercise, "-", "model unknown", "", "", "", "", "", ""]);
        continue;
      }
      for (const r of round.report.results) {
        rows.push([
          round.exercise,
          policyName[r.policy],
          `${r.makespanMinutes.toFixed(1)} min`,
          `${r.makespanRatio.toFixed(2)}×`,
          `${r.meanWaitMinutes.toFixed(1)} min`,
          `${r.p95WaitMinutes.toFixed(1)} min`,
          `${(r.memoryUtilisation * 100).toFixed(0)}%`,
          usd(r.costUsd),
          r.unplaced,
        ]);
      }
    }
    return [
      ...renderTable(
        ["exercise", "policy", "makespan", "÷ bound", "mean wait", "p95 wait", "VRAM used", "GPU cost", "unplaced"],
        rows,
      ),
      `${data.gpus} GPUs at ${usd(data.poolUsdPerHour)}/hour. "÷ bound" is the makespan over its lower bound, max(VRAM·time ÷ capacity, longest run). Whole GPU/run: the default device plugin; cluster quota: admission against the cluster's total VRAM (as Kueue sees it), without a per-GPU fit.`,
    ];
  },
});
