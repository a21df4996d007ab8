import { describe, expect, it } from "vitest";
import { estimatePeakVram } from "../../../core/vram/estimate-peak-vram";
import { suggestFit } from "../../../core/vram/suggest-fit";
import { methodDefaults, type RunSpec } from "../../../schema/run-spec";

const base = methodDefaults("lora");
const heavy: RunSpec = {
  ...base,
  exercise: "test",
  baseModel: "Qwen/Qwen2.5-3B-Instruct",
  dataset: { source: "builtin", name: "k8s-troubleshooting", testSplit: 0.1 },
  training: { ...base.training, gradientCheckpointing: true },
};
const LIMIT_MIB = 16 * 1024;

describe("suggestFit", () => {
  it("suggests nothing for a run that already fits", () => {
    expect(suggestFit(heavy, estimatePeakVram(heavy).totalMiB)).toEqual([]);
  });

  it("proposes only configs whose own estimate fits the limit, each with that estimate", () => {
    expect(estimatePeakVram(heavy).totalMiB).toBeGreaterThan(LIMIT_MIB);
    const suggestions = suggestFit(heavy, LIMIT_MIB);
    expect(suggestions.length).toBeGreaterThan(1);
    for (const s of suggestions) {
      expect(s.estimate.totalMiB).toBeLessThanOrEqual(LIMIT_MIB);
      expect(s.estimate).toEqual(estimatePeakVram(s.spec));
      expect(s.change.length).toBeGreaterThan(10);
    }
  });

  it("offers the cheapest change first: a smaller micro batch with more accumulation keeps the effective batch", () => {
    const [first] = suggestFit(heavy, LIMIT_MIB);
    expect(first.change).toMatch(/micro batch/);
    const t = first.spec.training;
    expect(t.microBatchSize * t.gradientAccumulationSteps).toBe(
      heavy.training.microBatchSize * heavy.training.gradientAccumulationSteps,
    );
  });

  it("turns gradient checkpointing on first when it is off and that is enough", () => {
    const off = {
      ...heavy,
      baseModel: "Qwen/Qwen2.5-0.5B-Instruct",
      training: { ...heavy.training, gradientCheckpointing: false },
    };
    const limit =
      estimatePeakVram({ ...off, training: { ...off.training, gradientCheckpointing: true } }).totalMiB + 10;
    const [first] = suggestFit(off, limit);
    expect(first.change).toMatch(/gradient checkpointing/);
    expect(first.spec.training.gradientCheckpointing).toBe(true);
  });

  it("offers 4-bit (qlora) for a 16-bit run", () => {
    const changes = suggestFit(heavy, LIMIT_MIB).map((s) => s.spec.method);
    expect(changes).toContain("qlora");
  });

  it("stacks changes when no single one is enough", () => {
    const wide = { ...heavy, training: { ...heavy.training, gradientCheckpointing: false, microBatchSize: 8 } };
    const suggestions = suggestFit(wide, 12 * 1024);
    expect(suggestions.length).toBeGreaterThan(0);
    expect(suggestions.every((s) => s.estimate.totalMiB <= 12 * 1024)).toBe(true);
  });

  it("returns nothing when even the smallest config cannot fit", () => {
    expect(suggestFit({ ...heavy, baseModel: "meta-llama/Llama-3.1-8B-Instruct" }, 2048)).toEqual([]);
  });
});
