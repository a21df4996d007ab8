import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type GpuState,
  HAMI_CUDA_CONTEXT_HEADROOM_MIB,
  type LearnerState,
  type QueuedRun,
  type SchedulerState,
  STARVATION_GUARD_MINUTES,
  scheduleRound,
} from "../../../core/scheduler";

const L40S = 46068;
const gpu = (node: string, overrides: Partial<GpuState> = {}): GpuState => ({
  node,
  index: 0,
  product: "NVIDIA L40S",
  totalMiB: L40S,
  mode: "hami",
  allocations: [],
  ...overrides,
});
const learner = (id: string, overrides: Partial<LearnerState["usage"]> = {}, vramMiB = 16384): LearnerState => ({
  learnerId: id,
  quota: { vramMiB, concurrentRuns: 1, gpuMinutes: 120 },
  usage: { gpuMinutesUsed: 0, running: 0, ...overrides },
});
const run = (runId: string, learnerId: string, requestMiB: number, submittedAt = 0): QueuedRun => ({
  runId,
  learnerId,
  requestMiB,
  submittedAt,
});

describe("scheduleRound", () => {
  it("places a run that fits on a GPU with its estimate plus the CUDA-context headroom (hami)", () => {
    const { decisions } = scheduleRound({
      gpus: [gpu("a")],
      learners: [learner("ada")],
      queue: [run("r1", "ada", 8000)],
      now: 0,
    });
    expect(decisions).toEqual([
      {
        kind: "place",
        runId: "r1",
        learnerId: "ada",
        node: "a",
        gpuIndex: 0,
        grantedMiB: 8000 + HAMI_CUDA_CONTEXT_HEADROOM_MIB,
      },
    ]);
  });

  it("refuses a run that needs more VRAM than the learner's quota, and says what to change", () => {
    const [d] = scheduleRound({
      gpus: [gpu("a")],
      learners: [learner("ada")],
      queue: [run("r1", "ada", 20000)],
      now: 0,
    }).decisions;
    expect(d.kind).toBe("refuse");
    expect(d.kind === "refuse" && d.reason).toMatch(/quota of 16\.0 GiB.*gradient checkpointing/);
  });

  it("refuses a run no single GPU could hold, even when the cluster total could", () => {
    const small = [gpu("a", { totalMiB: 23028 }), gpu("b", { totalMiB: 23028 })];
    const [d] = scheduleRound({
      gpus: small,
      learners: [learner("ada", {}, 40000)],
      queue: [run("r1", "ada", 30000)],
      now: 0,
    }).decisions;
    expect(d.kind).toBe("refuse");
    expect(d.kind === "refuse" && d.reason).toMatch(/largest GPU slot/);
  });

  it("places by each GPU's own free memory, never by the cluster total", () => {
    const busy = [
      gpu("a", { allocations: [{ runId: "x", learnerId: "zed", grantedMiB: 30000 }] }),
      gpu("b", { allocations: [{ runId: "y", learnerId: "zed", grantedMiB: 30000 }] }),
    ];
    const [d] = scheduleRound({
      gpus: busy,
      learners: [learner("ada"), learner("zed", { running: 2 })],
      queue: [run("r1", "ada", 16000)],
      now: 0,
    }).decisions;
    // 32 GiB free in total, but 16 GiB on each GPU: 16000 + headroom does not fit either one.
    expect(d.kind).toBe("wait");
    expect(d.kind === "wait" && d.reason).toMatch(/no GPU has room/);
  });

  it("picks the GPU the run fits most tightly (best fit)", () => {
    const gpus = [gpu("a"), gpu("b", { allocations: [{ runId: "x", learnerId: "zed", grantedMiB: 30000 }] })];
    const [d] = scheduleRound({
      gpus,
      learners: [learner("ada"), learner("zed", { running: 1 })],
      queue: [run("r1", "ada", 9000)],
      now: 0,
    }).decisions;
    expect(d).toMatchObject({ kind: "place", node: "b" });
  });

  it("lets the learner who has used the least GPU time go first", () => {
    const state: SchedulerState = {
      gpus: [gpu("a", { mode: "exclusive" })],
      learners: [learner("heavy", { gpuMinutesUsed: 90 }), learner("light", { gpuMinutesUsed: 5 })],
      queue: [run("r-heavy", "heavy", 8000, 0), run("r-light", "light", 8000, 1000)],
      now: 60_000,
    };
    const decisions = scheduleRound(state).decisions;
    expect(decisions[0]).toMatchObject({ kind: "place", runId: "r-light" });
    expect(decisions[1]).toMatchObject({ kind: "wait", runId: "r-heavy", position: 1 });
  });

  it("keeps a learner's second run waiting while the first runs (concurrency quota)", () => {
    const { decisions } = scheduleRound({
      gpus: [gpu("a"), gpu("b")],
      learners: [learner("ada")],
      queue: [run("r1", "ada", 4000, 0), run("r2", "ada", 4000, 1)],
      now: 0,
    });
    expect(decisions.map((d) => d.kind)).toEqual(["place", "wait"]);
    expect(decisions[1].kind === "wait" && decisions[1].reason).toMatch(/limit is 1/);
  });

  it("gives a whole GPU per run in exclusive mode and a fixed slice in mig mode", () => {
    const exclusive = scheduleRound({
      gpus: [gpu("a", { mode: "exclusive" })],
      learners: [learner("ada")],
      queue: [run("r", "ada", 4000)],
      now: 0,
    });
    expect(exclusive.decisions[0]).toMatchObject({ kind: "place", grantedMiB: L40S });
    const mig = gpu("m", { mode: "mig", totalMiB: 81920, migProfileMiB: 19968, migSlots: 3 });
    const migRound = scheduleRound({
      gpus: [mig],
      learners: ["a", "b", "c", "d"].map((id) => learner(id)),
      queue: ["a", "b", "c", "d"].map((id, i) => run(`r-${id}`, id, 15000, i)),
      now: 0,
    });
    expect(migRound.decisions.map((d) => d.kind)).toEqual(["place", "place", "place", "wait"]);
    expect(migRound.decisions[0]).toMatchObject({ grantedMiB: 19968 });
  });

  it("holds a GPU back for a run that has waited too long, so small runs cannot starve it", () => {
    const gpus = [gpu("a", { allocations: [{ runId: "x", learnerId: "zed", grantedMiB: 20000 }] })];
    const now = (STARVATION_GUARD_MINUTES + 1) * 60_000;
    const { decisions } = scheduleRound({
      gpus,
      learners: [learner("big", {}, 40000), learner("small"), learner("zed", { running: 1 })],
      queue: [run("r-big", "big", 36000, 0), run("r-small", "small", 4000, now)],
      now,
    });
    expect(decisions).toMatchObject([
      { kind: "wait", runId: "r-big" },
      { kind: "wait", runId: "r-small" },
    ]);
  });
});

// ---- properties -------------------------------------------------------------------------------

const arbState = fc
  .record({
    gpus: fc.array(
      fc.record({
        mode: fc.constantFrom("exclusive" as const, "hami" as const, "mig" as const),
        totalMiB: fc.constantFrom(15360, 23028, 46068, 81920),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    learners: fc.array(
      fc.record({
        vramMiB: fc.integer({ min: 2000, max: 60000 }),
        concurrentRuns: fc.integer({ min: 1, max: 3 }),
        used: fc.integer({ min: 0, max: 100 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    runs: fc.array(
      fc.record({
        learner: fc.nat(),
        requestMiB: fc.integer({ min: 500, max: 70000 }),
        submittedAt: fc.integer({ min: 0, max: 600_000 }),
      }),
      { maxLength: 30 },
    ),
  })
  .map(
    ({ gpus, learners, runs }): SchedulerState => ({
      gpus: gpus.map((g, i) => ({
        node: `node-${i % 3}`,
        index: Math.floor(i / 3),
        product: "GPU",
        totalMiB: g.totalMiB,
        mode: g.mode,
        migProfileMiB: g.mode === "mig" ? Math.floor(g.totalMiB / 4) : undefined,
        migSlots: g.mode === "mig" ? 3 : undefined,
        allocations: [],
      })),
      learners: learners.map((l, i) => ({
        learnerId: `l${i}`,
        quota: { vramMiB: l.vramMiB, concurrentRuns: l.concurrentRuns, gpuMinutes: 1000 },
        usage: { gpuMinutesUsed: l.used, running: 0 },
      })),
      queue: runs.map((r, i) => ({
        runId: `r${i}`,
        learnerId: `l${r.learner % learners.length}`,
        requestMiB: r.requestMiB,
        submittedAt: r.submittedAt,
      })),
      now: 600_000,
    }),
  );

function applyPlacements(state: SchedulerState, decisions: ReturnType<typeof scheduleRound>["decisions"]): GpuState[] {
  return state.gpus.map((g) => ({
    ...g,
    allocations: [
      ...g.allocations,
      ...decisions
        .filter((d) => d.kind === "place" && d.node === g.node && d.gpuIndex === g.index)
        .map((d) => {
          const run = state.queue.find((r) => r.runId === d.runId)!;
          return {
            runId: d.runId,
            learnerId: run.learnerId,
            grantedMiB: d.kind === "place" ? d.grantedMiB : 0,
            requestMiB: run.requestMiB,
          };
        }),
    ],
  }));
}

describe("scheduleRound properties", () => {
  it("never over-commits a GPU (memory, MIG slices, one run per exclusive GPU)", () => {
    fc.assert(
      fc.property(arbState, (state) => {
        const gpus = applyPlacements(state, scheduleRound(state).decisions);
        for (const g of gpus) {
          expect(g.allocations.reduce((s, a) => s + a.grantedMiB, 0)).toBeLessThanOrEqual(g.totalMiB);
          if (g.mode === "exclusive") expect(g.allocations.length).toBeLessThanOrEqual(1);
          if (g.mode === "mig") expect(g.allocations.length).toBeLessThanOrEqual(g.migSlots ?? 1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never exceeds a learner's VRAM or concurrency quota", () => {
    fc.assert(
      fc.property(arbState, (state) => {
        const placed = scheduleRound(state).decisions.filter((d) => d.kind === "place");
        for (const l of state.learners) {
          const mine = placed.filter((d) => d.learnerId === l.learnerId);
          expect(mine.length).toBeLessThanOrEqual(l.quota.concurrentRuns);
          const requested = mine.reduce((s, d) => s + state.queue.find((r) => r.runId === d.runId)!.requestMiB, 0);
          expect(requested).toBeLessThanOrEqual(l.quota.vramMiB);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("places every admitted run on a GPU it fits, with at least its request granted", () => {
    fc.assert(
      fc.property(arbState, (state) => {
        for (const d of scheduleRound(state).decisions) {
          if (d.kind !== "place") continue;
          const g = state.gpus.find((x) => x.node === d.node && x.index === d.gpuIndex)!;
          const request = state.queue.find((r) => r.runId === d.runId)!.requestMiB;
          expect(d.grantedMiB).toBeGreaterThanOrEqual(request);
          expect(d.grantedMiB).toBeLessThanOrEqual(g.totalMiB);
          if (g.mode === "mig") expect(request).toBeLessThanOrEqual(g.migProfileMiB!);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("decides every queued run exactly once, the same way whatever the order of its input", () => {
    fc.assert(
      fc.property(arbState, fc.integer(), (state, seed) => {
        const shuffle = <T>(xs: readonly T[]) =>
          [...xs]
            .map((x, i) => ({ x, k: (i * 2654435761 + seed) % 1000 }))
            .sort((a, b) => a.k - b.k)
            .map((e) => e.x);
        const a = scheduleRound(state).decisions;
        const b = scheduleRound({
          ...state,
          gpus: shuffle(state.gpus),
          queue: shuffle(state.queue),
          learners: shuffle(state.learners),
        }).decisions;
        expect(b).toEqual(a);
        expect(new Set(a.map((d) => d.runId)).size).toBe(state.queue.length);
      }),
      { numRuns: 200 },
    );
  });

  it("always drains the queue: rounds with finishing runs place or refuse every run", () => {
    fc.assert(
      fc.property(arbState, (initial) => {
        let queue = [...initial.queue];
        let now = initial.now;
        for (let round = 0; round < 200 && queue.length > 0; round++) {
          // Every run placed in the previous round has finished: start from empty GPUs.
          const state = { ...initial, queue, now };
          const { decisions } = scheduleRound(state);
          const decided = new Set(decisions.filter((d) => d.kind !== "wait").map((d) => d.runId));
          expect(decided.size).toBeGreaterThan(0);
          queue = queue.filter((r) => !decided.has(r.runId));
          now += 60_000;
        }
        expect(queue).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
