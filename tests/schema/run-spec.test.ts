import { describe, expect, it } from "vitest";
import { RunSpecError, type RunSpecInput, resolveRunSpec } from "../../schema/run-spec";

const exercise: RunSpecInput = {
  baseModel: "Qwen/Qwen2.5-1.5B-Instruct",
  method: "qlora",
  lora: { r: 16 },
  training: { maxSeqLength: 1024, microBatchSize: 4 },
  dataset: { source: "builtin", name: "k8s-troubleshooting" },
};

describe("resolveRunSpec", () => {
  it("fills every field from the exercise, then from the method's defaults", () => {
    const spec = resolveRunSpec({}, "qlora-challenge", exercise);
    expect(spec.exercise).toBe("qlora-challenge");
    expect(spec.baseModel).toBe("Qwen/Qwen2.5-1.5B-Instruct");
    expect(spec.quantization).toEqual({ bits: 4, quantType: "nf4", doubleQuant: true, computeDtype: "bfloat16" });
    expect(spec.lora).toEqual({ r: 16, alpha: 32, dropout: 0.05, targetModules: "all-linear" });
    expect(spec.training.optimizer).toBe("paged_adamw_32bit");
    expect(spec.training.gradientCheckpointing).toBe(true);
    expect(spec.dataset).toEqual({ source: "builtin", name: "k8s-troubleshooting", testSplit: 0.1 });
  });

  it("lets the learner's values win over the exercise's, and keeps alpha at 2 × r unless set", () => {
    const spec = resolveRunSpec({ lora: { r: 8 }, training: { microBatchSize: 1 } }, "x", exercise);
    expect(spec.lora.r).toBe(8);
    expect(spec.lora.alpha).toBe(16);
    expect(spec.training.microBatchSize).toBe(1);
    expect(spec.training.maxSeqLength).toBe(1024);
  });

  it("gives a learner who switches to lora a 16-bit base", () => {
    const spec = resolveRunSpec({ method: "lora" }, "x", exercise);
    expect(spec.method).toBe("lora");
    expect(spec.quantization.bits).toBe(16);
  });

  it("refuses qlora on a 16-bit base, saying how to fix it", () => {
    expect(() => resolveRunSpec({ quantization: { bits: 16 } }, "x", exercise)).toThrow(
      "quantization.bits: method qlora trains on a 4-bit base, but quantization.bits is 16: set bits to 4, or use method lora",
    );
  });

  it("refuses unknown keys instead of silently falling back to a default", () => {
    try {
      resolveRunSpec({ training: { microBatch: 2 } }, "x", exercise);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RunSpecError);
      expect((error as RunSpecError).problems[0]).toMatch(/^training: Unrecognized key: "microBatch"/);
    }
  });

  it("lists every problem at once", () => {
    try {
      resolveRunSpec({ lora: { r: 0 }, training: { learningRate: -1 } }, "x", exercise);
      expect.unreachable();
    } catch (error) {
      expect((error as RunSpecError).problems.map((p) => p.split(":")[0]).sort()).toEqual([
        "lora.r",
        "training.learningRate",
      ]);
    }
  });
});
