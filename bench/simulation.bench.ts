// The simulation comparison: one exercise round of 48 learners with a mix of run sizes on
// 8 L40S GPUs (HAMi), under labkit's scheduler and the two baselines (a whole GPU per run;
// cluster-total quotas without a per-GPU fit). Prints each policy's makespan as a ratio to the
// lower bound and to labkit's, and the median wall time of the simulation itself.
import { performance } from "node:perf_hooks";
import type { GpuState } from "../core/scheduler";
import { type SimulatedRun, simulateRound } from "../core/simulation/simulate-round";

const REPEATS = 9;
const gpus: GpuState[] = Array.from({ length: 8 }, (_, i) => ({
  node: `l40s-${i}`,
  index: 0,
  product: "NVIDIA L40S",
  totalMiB: 46068,
  mode: "hami",
  allocations: [],
}));
// Sizes are estimates of workshop runs: SmolLM2-360M LoRA, Qwen2.5-1.5B QLoRA, Qwen2.5-3B QLoRA,
// Qwen2.5-3B LoRA, Llama-3.1-8B QLoRA at batch 4 (`labkit estimate`).
const sizes = [5300, 14100, 9900, 19500, 27000];
const runs: SimulatedRun[] = Array.from({ length: 48 }, (_, k) => ({
  runId: `run-${k}`,
  learnerId: `learner-${k}`,
  requestMiB: sizes[(k * 7) % sizes.length],
  durationMinutes: 6 + ((k * 11) % 20),
  submitAtMinute: (k % 12) * 0.5,
}));
const input = { gpus, runs, quota: { vramMiB: 32768, concurrentRuns: 1, gpuMinutes: 600 }, poolUsdPerHour: 8 * 1.861 };

const times: number[] = [];
let report = simulateRound(input);
for (let i = 0; i < REPEATS; i++) {
  const t = performance.now();
  report = simulateRound(input);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const labkit = report.results.find((r) => r.policy === "labkit")!;
console.log(
  `Exercise round: ${runs.length} runs on ${gpus.length} × L40S (HAMi); lower bound ${report.lowerBoundMinutes.toFixed(1)} min`,
);
console.log("policy          makespan  ÷ bound  ÷ labkit  mean wait  p95 wait  VRAM used  GPU cost");
for (const r of report.results) {
  console.log(
    `${r.policy.padEnd(14)} ${r.makespanMinutes.toFixed(1).padStart(8)}  ${r.makespanRatio.toFixed(2).padStart(7)}  ${(r.makespanMinutes / labkit.makespanMinutes).toFixed(2).padStart(8)}  ${r.meanWaitMinutes.toFixed(1).padStart(9)}  ${r.p95WaitMinutes.toFixed(1).padStart(8)}  ${(r.memoryUtilisation * 100).toFixed(0).padStart(8)}%  ${`$${r.costUsd.toFixed(2)}`.padStart(8)}`,
  );
}
console.log(
  `simulateRound (all three policies): median ${times[Math.floor(times.length / 2)].toFixed(1)} ms over ${REPEATS} runs`,
);
