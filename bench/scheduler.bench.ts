// Scheduler decisions per second: one `scheduleRound` over 1,000 queued runs on 100 GPUs
// (25 nodes × 4 L40S, HAMi slices, 200 learners), against a baseline measured in the same run:
// a FIFO first-fit loop with no quotas, fairness or best fit (the least work any scheduler does).
import { performance } from "node:perf_hooks";
import { freeMiB, type GpuState, grantFor, hasRoom, type SchedulerState, scheduleRound } from "../core/scheduler";

const REPEATS = 15;

function makeState(): SchedulerState {
  const gpus: GpuState[] = [];
  for (let node = 0; node < 25; node++) {
    for (let index = 0; index < 4; index++) {
      gpus.push({
        node: `gpu-node-${node}`,
        index,
        product: "NVIDIA L40S",
        totalMiB: 46068,
        mode: "hami",
        allocations: [],
      });
    }
  }
  const learners = Array.from({ length: 200 }, (_, i) => ({
    learnerId: `learner-${i}`,
    quota: { vramMiB: 32768, concurrentRuns: 2, gpuMinutes: 600 },
    usage: { gpuMinutesUsed: (i * 37) % 120, running: 0 },
  }));
  const sizes = [4500, 9800, 14100, 21000, 30500];
  const queue = Array.from({ length: 1000 }, (_, i) => ({
    runId: `run-${i}`,
    learnerId: `learner-${(i * 7) % 200}`,
    requestMiB: sizes[(i * 13) % sizes.length],
    submittedAt: i * 500,
  }));
  return { gpus, learners, queue, now: 1000 * 500 };
}

function fifoFirstFit(state: SchedulerState): number {
  const gpus = state.gpus.map((g) => ({ ...g, allocations: [...g.allocations] }));
  let placed = 0;
  for (const run of state.queue) {
    for (const gpu of gpus) {
      const granted = grantFor(gpu, run.requestMiB);
      if (granted !== undefined && hasRoom(gpu, granted) && freeMiB(gpu) >= granted) {
        gpu.allocations.push({ runId: run.runId, learnerId: run.learnerId, grantedMiB: granted });
        placed++;
        break;
      }
    }
  }
  return placed;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const state = makeState();
// Warm up the JIT.
for (let i = 0; i < 3; i++) {
  scheduleRound(state);
  fifoFirstFit(state);
}
const labkitMs: number[] = [];
const baselineMs: number[] = [];
let placedLabkit = 0;
let placedBaseline = 0;
for (let i = 0; i < REPEATS; i++) {
  let t = performance.now();
  const { decisions } = scheduleRound(state);
  labkitMs.push(performance.now() - t);
  placedLabkit = decisions.filter((d) => d.kind === "place").length;
  t = performance.now();
  placedBaseline = fifoFirstFit(state);
  baselineMs.push(performance.now() - t);
}
const decisionsPerSecond = (ms: number) => (state.queue.length / ms) * 1000;
const lab = median(labkitMs);
const base = median(baselineMs);
console.log(`scheduleRound: 1,000 queued runs, 100 GPUs, 200 learners — median of ${REPEATS} runs`);
console.log("scheduler                 median ms   decisions/s   runs placed");
console.log(
  `labkit scheduleRound      ${lab.toFixed(2).padStart(9)}   ${decisionsPerSecond(lab).toFixed(0).padStart(11)}   ${String(placedLabkit).padStart(11)}`,
);
console.log(
  `baseline FIFO first fit   ${base.toFixed(2).padStart(9)}   ${decisionsPerSecond(base).toFixed(0).padStart(11)}   ${String(placedBaseline).padStart(11)}`,
);
console.log(`labkit throughput ÷ baseline throughput: ${(base / lab).toFixed(3)}`);
