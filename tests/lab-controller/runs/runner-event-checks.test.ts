import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  GPU_MEMORY_SLACK_MIB,
  memoryCeilingMiB,
  runnerEventProblems,
} from "../../../lab-controller/runs/runner-event-checks";
import { RUNNER_EVENT_LIMITS, RunnerEventSchema } from "../../../schema/run-result";

const progress = (step: number, totalSteps?: number) =>
  ({ type: "progress", seq: 1, step, ...(totalSteps !== undefined ? { totalSteps } : {}), loss: 1.2 }) as const;
const memory = (peakMiB: number) =>
  ({ type: "memory", seq: 1, allocatedMiB: peakMiB / 2, reservedMiB: peakMiB / 2, peakMiB }) as const;

describe("the runner event schema", () => {
  it.each([
    ["a negative loss", { type: "progress", seq: 1, step: 1, loss: -0.1 }, "loss"],
    ["a loss no run reports", { type: "progress", seq: 1, step: 1, loss: 1e300 }, "loss"],
    ["a step count past any run", { type: "progress", seq: 1, step: RUNNER_EVENT_LIMITS.maxSteps + 1 }, "step"],
    ["a learning rate of 1e9", { type: "progress", seq: 1, step: 1, learningRate: 1e9 }, "learningRate"],
    ["memory past any GPU", { type: "memory", seq: 1, allocatedMiB: 1, reservedMiB: 1, peakMiB: 2e6 }, "peakMiB"],
    ["a perplexity below 1", { type: "metrics", seq: 1, stage: "after", values: { perplexity: 0.5 } }, "perplexity"],
    ["a ROUGE-L above 1", { type: "metrics", seq: 1, stage: "after", values: { rougeL: 1.5 } }, "rougeL"],
    [
      "a BLEU above 100 (sacrebleu's scale)",
      { type: "metrics", seq: 1, stage: "after", values: { bleu: 101 } },
      "bleu",
    ],
    ["an endless time text", { type: "phase", seq: 1, phase: "training", time: "x".repeat(65) }, "time"],
  ])("refuses %s, naming the field", (_what, event, field) => {
    const parsed = RunnerEventSchema.safeParse(event);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.at(-1))).toContain(field);
  });

  it("refuses infinite numbers, which zod numbers never accept", () => {
    expect(
      RunnerEventSchema.safeParse({ type: "progress", seq: 1, step: 1, loss: Number.POSITIVE_INFINITY }).success,
    ).toBe(false);
    expect(RunnerEventSchema.safeParse({ type: "progress", seq: 1, step: 1, loss: Number.NaN }).success).toBe(false);
  });

  it("accepts what the real runner sends", () => {
    for (const event of [
      {
        type: "progress",
        seq: 3,
        time: "2026-12-07T09:12:01.123Z",
        step: 10,
        totalSteps: 120,
        loss: 1.87,
        learningRate: 2e-4,
        epoch: 0.4,
      },
      { type: "memory", seq: 4, allocatedMiB: 2100.5, reservedMiB: 2600, peakMiB: 2700 },
      { type: "metrics", seq: 5, stage: "after", values: { perplexity: 4.1, rougeL: 0.42, bleu: 19.5 } },
      { type: "phase", seq: 6, phase: "uploading" },
    ]) {
      expect(RunnerEventSchema.safeParse(event).success, JSON.stringify(event)).toBe(true);
    }
  });
});

describe("checking a runner event against its run", () => {
  it("refuses a step before the one this attempt already reported, and allows the same step again", () => {
    expect(runnerEventProblems(progress(4, 20), { step: 5, totalSteps: 20 }, undefined)).toEqual([
      "step: 4 is before step 5, which this attempt already reported; steps never go back within an attempt",
    ]);
    expect(runnerEventProblems(progress(5, 20), { step: 5, totalSteps: 20 }, undefined)).toEqual([]);
    expect(runnerEventProblems(progress(0), {}, undefined)).toEqual([]);
  });

  it("refuses a step past the run's total, from the event or from the run", () => {
    expect(runnerEventProblems(progress(21, 20), {}, undefined)).toEqual([
      "step: 21 is past the run's last step (totalSteps 20)",
    ]);
    expect(runnerEventProblems(progress(21), { step: 3, totalSteps: 20 }, undefined)[0]).toMatch(/^step: 21 is past/);
  });

  it("refuses memory past the run's ceiling, naming each field", () => {
    const problems = runnerEventProblems(memory(20_000), {}, 10_000);
    expect(problems).toEqual([
      "peakMiB: 20000 MiB is more than this run can hold on its GPU (at most 10000 MiB, slack included)",
    ]);
    expect(runnerEventProblems(memory(10_000), {}, 10_000)).toEqual([]);
    expect(runnerEventProblems(memory(1e6), {}, undefined)).toEqual([]);
  });

  it("bounds a HAMi run by its grant and an exclusive or MIG run by its GPU or slice, plus slack", () => {
    expect(memoryCeilingMiB({ sharing: "hami", grantedMiB: 9000, deviceMiB: 46068 })).toBe(9000 + GPU_MEMORY_SLACK_MIB);
    expect(memoryCeilingMiB({ sharing: "hami", grantedMiB: 40_000, deviceMiB: 46068 })).toBe(44_000);
    expect(memoryCeilingMiB({ sharing: "exclusive", grantedMiB: 9000, deviceMiB: 46068 })).toBe(Math.ceil(46068 * 1.1));
    expect(memoryCeilingMiB({ sharing: "mig", grantedMiB: 9000, deviceMiB: 40_960 })).toBe(Math.ceil(40_960 * 1.1));
    expect(memoryCeilingMiB({ sharing: "exclusive", grantedMiB: 0 })).toBeUndefined();
  });

  it("never refuses memory a run is granted (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("hami", "exclusive", "mig" as const),
        fc.integer({ min: 1, max: 200_000 }),
        fc.option(fc.integer({ min: 1, max: 200_000 }), { nil: undefined }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (sharing, grantedMiB, deviceMiB, fraction) => {
          const ceiling = memoryCeilingMiB({ sharing, grantedMiB, deviceMiB });
          expect(ceiling).toBeGreaterThanOrEqual(grantedMiB + GPU_MEMORY_SLACK_MIB);
          expect(runnerEventProblems(memory(grantedMiB * fraction), {}, ceiling)).toEqual([]);
        },
      ),
    );
  });
});
