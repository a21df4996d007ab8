import { describe, expect, it } from "vitest";
import {
  allocatedMiB,
  estimatePeakVram,
  reservedMiB,
  UnknownModelError,
  VRAM_COMPONENTS,
} from "../../../core/vram/estimate-peak-vram";
import { embeddingParameterCount, linearParameterCount } from "../../../core/vram/linear-modules";
import { findModelArchitecture, MODEL_ARCHITECTURES } from "../../../core/vram/model-architectures";
import { methodDefaults, type RunSpec } from "../../../schema/run-spec";
import { CALIBRATION_ROWS } from "./calibration-table";

function runSpec(
  overrides: Partial<Omit<RunSpec, "training">> & { training?: Partial<RunSpec["training"]> } = {},
): RunSpec {
  const base = methodDefaults(overrides.method ?? "qlora");
  return {
    ...base,
    exercise: "test",
    baseModel: "Qwen/Qwen2.5-1.5B-Instruct",
    dataset: { source: "builtin", name: "k8s-troubleshooting", testSplit: 0.1 },
    ...overrides,
    training: { ...base.training, ...overrides.training },
  } as RunSpec;
}

describe("model catalog", () => {
  const required = [
    "Qwen/Qwen2.5-0.5B-Instruct",
    "Qwen/Qwen2.5-1.5B-Instruct",
    "Qwen/Qwen2.5-3B-Instruct",
    "Qwen/Qwen2.5-7B-Instruct",
    "meta-llama/Llama-3.2-1B-Instruct",
    "meta-llama/Llama-3.2-3B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
    "mistralai/Mistral-7B-Instruct-v0.3",
    "google/gemma-2-2b-it",
    "microsoft/Phi-3.5-mini-instruct",
    "HuggingFaceTB/SmolLM2-135M-Instruct",
    "HuggingFaceTB/SmolLM2-360M-Instruct",
    "HuggingFaceTB/SmolLM2-1.7B-Instruct",
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
  ];
  it.each(required)("knows %s", (id) => {
    expect(findModelArchitecture(id)?.id).toBe(id);
  });

  it.each(MODEL_ARCHITECTURES.map((m) => [m.id, m] as const))(
    "%s: the layer arithmetic from config.json adds up to the published parameter count (within 1%%)",
    (_id, model) => {
      const norms = model.layers * 2 * model.hiddenSize;
      const counted = linearParameterCount(model) + embeddingParameterCount(model) + norms;
      expect(Math.abs(counted - model.parameterCount) / model.parameterCount).toBeLessThan(0.01);
      expect(model.source).toMatch(/^https:\/\/huggingface\.co\/.+\/config\.json$/);
    },
  );

  it("refuses an unknown model with an error that lists the known ones", () => {
    const spec = runSpec({ baseModel: "acme/NotAModel-1B" });
    expect(() => estimatePeakVram(spec)).toThrow(UnknownModelError);
    expect(() => estimatePeakVram(spec)).toThrow(/Qwen\/Qwen2\.5-1\.5B-Instruct/);
  });
});

describe("estimatePeakVram", () => {
  it("returns a total equal to the sum of its breakdown, with every component present", () => {
    const estimate = estimatePeakVram(runSpec());
    expect(Object.keys(estimate.breakdown).sort()).toEqual([...VRAM_COMPONENTS].sort());
    expect(estimate.totalMiB).toBe(VRAM_COMPONENTS.reduce((s, k) => s + estimate.breakdown[k], 0));
    expect(estimate.model).toBe("Qwen/Qwen2.5-1.5B-Instruct");
  });

  it("stores a 4-bit base at about a quarter of a 16-bit one, and an 8-bit base at about half", () => {
    const lora = estimatePeakVram(runSpec({ method: "lora" })).breakdown.baseWeights;
    const nf4 = estimatePeakVram(runSpec()).breakdown.baseWeights;
    const int8 = estimatePeakVram(runSpec({ method: "lora", quantization: { ...runSpec().quantization, bits: 8 } }))
      .breakdown.baseWeights;
    expect(nf4 / lora).toBeGreaterThan(0.25);
    expect(nf4 / lora).toBeLessThan(0.35);
    expect(int8 / lora).toBeGreaterThan(0.5);
    expect(int8 / lora).toBeLessThan(0.6);
  });

  it("saves about 0.37 bits per parameter with double quantization (QLoRA paper)", () => {
    const spec = runSpec({ baseModel: "meta-llama/Llama-3.1-8B-Instruct" });
    const dq = estimatePeakVram(spec).breakdown.baseWeights;
    const plain = estimatePeakVram({ ...spec, quantization: { ...spec.quantization, doubleQuant: false } }).breakdown
      .baseWeights;
    const model = findModelArchitecture("meta-llama/Llama-3.1-8B-Instruct")!;
    const savedBitsPerParam = ((plain - dq) * 2 ** 20 * 8) / linearParameterCount(model);
    expect(savedBitsPerParam).toBeGreaterThan(0.36);
    expect(savedBitsPerParam).toBeLessThan(0.38);
  });

  it("shrinks activations with gradient checkpointing and grows them with sequence length and micro batch", () => {
    const on = estimatePeakVram(runSpec()).breakdown.activations;
    const off = estimatePeakVram(runSpec({ training: { gradientCheckpointing: false } })).breakdown.activations;
    expect(off).toBeGreaterThan(5 * on);
    const longer = estimatePeakVram(runSpec({ training: { maxSeqLength: 2048 } })).breakdown.activations;
    const wider = estimatePeakVram(runSpec({ training: { microBatchSize: 8 } })).breakdown.activations;
    expect(longer / on).toBeCloseTo(2, 1);
    expect(wider / on).toBeCloseTo(2, 1);
  });

  it("makes the logits (vocabulary × sequence × batch) the largest term for a small model with a big vocabulary", () => {
    const { breakdown } = estimatePeakVram(runSpec({ baseModel: "Qwen/Qwen2.5-0.5B-Instruct" }));
    const largest = Object.entries(breakdown).sort((a, b) => b[1] - a[1])[0][0];
    expect(largest).toBe("logits");
    // 1024 tokens × 4 sequences × 151936 vocabulary × 16 bytes.
    expect(breakdown.logits).toBe(Math.ceil((4096 * 151936 * 16) / 2 ** 20));
  });

  it("counts LoRA parameters like PEFT does (Llama 3.2 3B, r=32 on q_proj and v_proj: 9,175,040)", () => {
    const spec = runSpec({
      method: "lora",
      baseModel: "meta-llama/Llama-3.2-3B-Instruct",
      lora: { r: 32, alpha: 64, dropout: 0, targetModules: ["q_proj", "v_proj"] },
    });
    // fp32 parameters: 9,175,040 × 4 bytes, as PEFT's method comparison reports num_trainable_params.
    expect(estimatePeakVram(spec).breakdown.loraParameters).toBe(Math.ceil((9_175_040 * 4) / 2 ** 20));
  });

  it("charges 8-bit optimizer states a quarter of AdamW's 32-bit states, and SGD nothing", () => {
    const adam = estimatePeakVram(runSpec()).breakdown.optimizerStates;
    const eight = estimatePeakVram(runSpec({ training: { optimizer: "paged_adamw_8bit" } })).breakdown.optimizerStates;
    const sgd = estimatePeakVram(runSpec({ training: { optimizer: "sgd" } })).breakdown.optimizerStates;
    expect(eight / adam).toBeCloseTo(0.25, 1);
    expect(sgd).toBe(0);
  });
});

describe("calibration against published measurements", () => {
  const rows = CALIBRATION_ROWS.map((row) => {
    const estimate = estimatePeakVram(row.spec);
    const predicted =
      row.measures === "allocated"
        ? allocatedMiB(estimate)
        : row.measures === "reserved"
          ? reservedMiB(estimate)
          : estimate.totalMiB;
    return { ...row, predicted, error: (predicted - row.measuredMiB) / row.measuredMiB };
  });

  it.each(rows.map((r) => [r.label, r] as const))(
    "%s: never more than 10% under the measured figure",
    (_label, row) => {
      expect(row.source.length).toBeGreaterThan(20);
      expect(row.error).toBeGreaterThan(-0.1);
    },
  );

  it("has a median absolute error of at most 15% over the table", () => {
    const errors = rows.map((r) => Math.abs(r.error)).sort((a, b) => a - b);
    const mid = errors.length / 2;
    const median = errors.length % 2 ? errors[Math.floor(mid)] : (errors[mid - 1] + errors[mid]) / 2;
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(median).toBeLessThanOrEqual(0.15);
  });
});
