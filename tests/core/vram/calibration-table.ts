/**
 * Published peak-memory measurements of LoRA/QLoRA fine-tuning runs, each with its source, and
 * the RunSpec that describes the same run. The estimator is checked against every row.
 *
 * `measures` says what the figure counts, so the estimate is compared like with like:
 * `allocated` = `torch.cuda.max_memory_allocated()` (tensors only), `reserved` = the caching
 * allocator's reserve (tensors + allocator overhead), `device` = the whole GPU the run filled.
 * GB in the sources are 10^9 bytes.
 */
import { methodDefaults, type RunSpec } from "../../../schema/run-spec";

export interface CalibrationRow {
  readonly label: string;
  readonly source: string;
  readonly spec: RunSpec;
  readonly measuredMiB: number;
  readonly measures: "allocated" | "reserved" | "device";
}

const LITGPT_TABLE =
  "LitGPT config_hub/finetune/README.md (Lightning-AI/litgpt), 1xA10G, bf16-true, Alpaca2k, no activation checkpointing; LoRA settings from the matching config_hub/finetune/<model>/<method>.yaml";
const gb = (value: number) => Math.round((value * 1e9) / 2 ** 20);

function spec(
  baseModel: string,
  method: "lora" | "qlora",
  input: {
    r: number;
    targets: "all-linear" | string[];
    dropout: number;
    seq: number;
    batch: number;
    ckpt: boolean;
    dq?: boolean;
    optimizer?: RunSpec["training"]["optimizer"];
  },
): RunSpec {
  const base = methodDefaults(method);
  return {
    ...base,
    exercise: "calibration",
    baseModel,
    lora: { r: input.r, alpha: 16, dropout: input.dropout, targetModules: input.targets },
    quantization: { ...base.quantization, doubleQuant: input.dq ?? false },
    training: {
      ...base.training,
      maxSeqLength: input.seq,
      microBatchSize: input.batch,
      gradientCheckpointing: input.ckpt,
      optimizer: input.optimizer ?? "adamw_torch",
    },
    dataset: { source: "builtin", name: "k8s-troubleshooting", testSplit: 0.1 },
  };
}

const qv = ["q_proj", "v_proj"];

export const CALIBRATION_ROWS: readonly CalibrationRow[] = [
  {
    label: "TinyLlama 1.1B LoRA r32 all linear, batch 8 × 512",
    source: `${LITGPT_TABLE}: tiny-llama/lora.yaml, 13.50 GB`,
    spec: spec("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "lora", {
      r: 32,
      targets: "all-linear",
      dropout: 0.05,
      seq: 512,
      batch: 8,
      ckpt: false,
    }),
    measuredMiB: gb(13.5),
    measures: "allocated",
  },
  {
    label: "TinyLlama 1.1B QLoRA r32 all linear, batch 8 × 512",
    source: `${LITGPT_TABLE}: tiny-llama/qlora.yaml, 16.24 GB`,
    spec: spec("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "qlora", {
      r: 32,
      targets: "all-linear",
      dropout: 0.05,
      seq: 512,
      batch: 8,
      ckpt: false,
    }),
    measuredMiB: gb(16.24),
    measures: "allocated",
  },
  {
    label: "Llama 2 7B LoRA r32 q,v, batch 2 × 512",
    source: `${LITGPT_TABLE}: llama-2-7b/lora.yaml, 19.77 GB`,
    spec: spec("meta-llama/Llama-2-7b-hf", "lora", {
      r: 32,
      targets: qv,
      dropout: 0.05,
      seq: 512,
      batch: 2,
      ckpt: false,
    }),
    measuredMiB: gb(19.77),
    measures: "allocated",
  },
  {
    label: "Llama 2 7B QLoRA r32 q,v, batch 2 × 512",
    source: `${LITGPT_TABLE}: llama-2-7b/qlora.yaml, 13.68 GB`,
    spec: spec("meta-llama/Llama-2-7b-hf", "qlora", {
      r: 32,
      targets: qv,
      dropout: 0.05,
      seq: 512,
      batch: 2,
      ckpt: false,
    }),
    measuredMiB: gb(13.68),
    measures: "allocated",
  },
  {
    label: "Llama 3.1 8B LoRA r32 q,v, batch 1 × 512",
    source: `${LITGPT_TABLE}: llama-3.1-8b/lora.yaml, 19.73 GB (same architecture as Llama-3.1-8B-Instruct)`,
    spec: spec("meta-llama/Llama-3.1-8B-Instruct", "lora", {
      r: 32,
      targets: qv,
      dropout: 0.05,
      seq: 512,
      batch: 1,
      ckpt: false,
    }),
    measuredMiB: gb(19.73),
    measures: "allocated",
  },
  {
    label: "Llama 3.1 8B QLoRA r32 q,v, batch 2 × 512",
    source: `${LITGPT_TABLE}: llama-3.1-8b/qlora.yaml, 17.41 GB`,
    spec: spec("meta-llama/Llama-3.1-8B-Instruct", "qlora", {
      r: 32,
      targets: qv,
      dropout: 0.05,
      seq: 512,
      batch: 2,
      ckpt: false,
    }),
    measuredMiB: gb(17.41),
    measures: "allocated",
  },
  {
    label: "Mistral 7B LoRA r32 q,v, batch 2 × 512",
    source: `${LITGPT_TABLE}: mistral-7b/lora.yaml, 20.66 GB`,
    spec: spec("mistralai/Mistral-7B-v0.1", "lora", {
      r: 32,
      targets: qv,
      dropout: 0.05,
      seq: 512,
      batch: 2,
      ckpt: false,
    }),
    measuredMiB: gb(20.66),
    measures: "allocated",
  },
  {
    label: "Mistral 7B QLoRA r32 q,v, batch 2 × 512",
    source: `${LITGPT_TABLE}: mistral-7b/qlora.yaml, 14.29 GB`,
    spec: spec("mistralai/Mistral-7B-v0.1", "qlora", {
      r: 32,
      targets: qv,
      dropout: 0.05,
      seq: 512,
      batch: 2,
      ckpt: false,
    }),
    measuredMiB: gb(14.29),
    measures: "allocated",
  },
  {
    label: "Phi-3 mini LoRA r8 all linear, batch 4 × 512",
    source: `${LITGPT_TABLE}: phi-3/lora.yaml, 19.75 GB (Phi-3-mini-4k has Phi-3.5-mini's architecture)`,
    spec: spec("microsoft/Phi-3.5-mini-instruct", "lora", {
      r: 8,
      targets: "all-linear",
      dropout: 0.05,
      seq: 512,
      batch: 4,
      ckpt: false,
    }),
    measuredMiB: gb(19.75),
    measures: "allocated",
  },
  {
    label: "Phi-3 mini QLoRA r8 all linear, batch 4 × 512",
    source: `${LITGPT_TABLE}: phi-3/qlora.yaml, 19.13 GB`,
    spec: spec("microsoft/Phi-3.5-mini-instruct", "qlora", {
      r: 8,
      targets: "all-linear",
      dropout: 0.05,
      seq: 512,
      batch: 4,
      ckpt: false,
    }),
    measuredMiB: gb(19.13),
    measures: "allocated",
  },
  {
    label: "Llama 3.2 3B LoRA r32 q,v, batch 4 × 768 (HF transformers + PEFT)",
    source:
      "huggingface/peft method_comparison/MetaMathQA/results/lora--llama-3.2-3B-rank32.json: cuda_memory_max 22,273,851,392 bytes (L40S, bf16, AdamW, no checkpointing)",
    spec: spec("meta-llama/Llama-3.2-3B-Instruct", "lora", {
      r: 32,
      targets: qv,
      dropout: 0,
      seq: 768,
      batch: 4,
      ckpt: false,
    }),
    measuredMiB: Math.round(22_273_851_392 / 2 ** 20),
    measures: "reserved",
  },
  {
    label: "Llama 3.1 8B QLoRA r32 all linear, batch 1 × 28,000 (HF + FA2, checkpointing)",
    source:
      "unsloth.ai/blog/llama3-3: 'Hugging Face + FA2 can only do 28,000 on a 80GB GPU' (QLoRA on all linear layers, rank 32, batch 1)",
    spec: spec("meta-llama/Llama-3.1-8B-Instruct", "qlora", {
      r: 32,
      targets: "all-linear",
      dropout: 0,
      seq: 28_000,
      batch: 1,
      ckpt: true,
      dq: true,
    }),
    measuredMiB: 80 * 1024,
    measures: "device",
  },
];
