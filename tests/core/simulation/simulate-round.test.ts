import { describe, expect, it } from "vitest";
import { type GpuState, HAMI_GPU_RESERVE_MIB } from "../../../core/scheduler";
import { makespanLowerBound, type SimulatedRun, simulateRound } from "../../../core/simulation/simulate-round";

const gpus = (count: number, totalMiB = 46068): GpuState[] =>
  Array.from({ length: count }, (_, i) => ({
    node: `n${i}`,
    index: 0,
    product: "NVIDIA L40S",
    totalMiB,
    mode: "hami",
    allocations: [],
  }));
const quota = { vramMiB: 40000, concurrentRuns: 1, gpuMinutes: 10_000 };

function workload(learners: number, sizes: readonly number[], minutes = 15): SimulatedRun[] {
  return Array.from({ length: learners }, (_, k) => ({
    runId: `r${k}`,
    learnerId: `l${k}`,
    requestMiB: sizes[k % sizes.length],
    durationMinutes: minutes,
    submitAtMinute: 0,
  }));
}

describe("simulateRound", () => {
  it("computes the lower bound as max(memory·time ÷ grantable capacity, longest run), HAMi's per-GPU reserve left out", () => {
    const runs = workload(4, [10000]);
    expect(makespanLowerBound(gpus(1, 20000), runs)).toBeCloseTo((4 * 10000 * 15) / (20000 - HAMI_GPU_RESERVE_MIB));
    expect(makespanLowerBound(gpus(10), runs)).toBe(15);
  });

  it("packs small runs several to a GPU, where a whole GPU per run queues them", () => {
    const report = simulateRound({ gpus: gpus(2), runs: workload(8, [9000]), quota, poolUsdPerHour: 3.72 });
    const byPolicy = Object.fromEntries(report.results.map((r) => [r.policy, r]));
    expect(byPolicy.labkit.makespanMinutes).toBe(15);
    expect(byPolicy.wholeGpu.makespanMinutes).toBe(60);
    expect(byPolicy.wholeGpu.meanWaitMinutes).toBeGreaterThan(byPolicy.labkit.meanWaitMinutes);
    expect(byPolicy.labkit.costUsd).toBeCloseTo(3.72 / 4);
    expect(byPolicy.labkit.makespanRatio).toBeGreaterThanOrEqual(1);
  });

  it("beats cluster-total admission when memory is fragmented across GPUs", () => {
    // 30 GiB and 20 GiB runs on 45 GiB GPUs: the cluster total says two fit per GPU, one GPU says no.
    const runs = workload(12, [30000, 20000]).map((r, k) => ({ ...r, durationMinutes: 10 + (k % 3) * 5 }));
    const report = simulateRound({ gpus: gpus(3), runs, quota });
    const byPolicy = Object.fromEntries(report.results.map((r) => [r.policy, r]));
    expect(byPolicy.labkit.makespanMinutes).toBeLessThanOrEqual(byPolicy.clusterQuota.makespanMinutes);
    expect(byPolicy.labkit.makespanMinutes).toBeLessThan(byPolicy.wholeGpu.makespanMinutes);
    for (const r of report.results) expect(r.makespanMinutes).toBeGreaterThanOrEqual(report.lowerBoundMinutes - 1e-9);
  });

  it("reports runs that can never be placed instead of looping", () => {
    const report = simulateRound({ gpus: gpus(1, 20000), runs: workload(2, [30000]), quota });
    for (const r of report.results) expect(r.unplaced).toBe(2);
  });

  it("gives the same report for the same input", () => {
    const input = { gpus: gpus(3), runs: workload(20, [6000, 14000, 22000]), quota, poolUsdPerHour: 5 };
    expect(simulateRound(input)).toEqual(simulateRound(input));
  });
});
