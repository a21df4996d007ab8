/**
 * Predicts the peak GPU memory of one LoRA/QLoRA training run (Hugging Face transformers + PEFT
 * + bitsandbytes, TRL's SFTTrainer) from its RunSpec, before it runs. Pure: no I/O.
 *
 * The model is a sum of components, each explained in docs/vram-estimator.md with its source.
 * It assumes the worst batch: `microBatchSize` sequences padded to `maxSeqLength`, since the
 * peak of a run is set by its longest batch and an underestimate is an out-of-memory error in
 * the middle of a class.
 */
import type { RunSpec } from "../../schema/run-spec";
import {
  adaptedModules,
  embeddingParameterCount,
  type LinearModule,
  linearModules,
  linearParameterCount,
} from "./linear-modules";
import { type ModelArchitecture, requireModelArchitecture, UnknownModelError } from "./model-architectures";

export { UnknownModelError };

const MIB = 1024 * 1024;

/** The parts of a run's peak memory, in the order the breakdown prints. */
export const VRAM_COMPONENTS = [
  "baseWeights",
  "unquantizedWeights",
  "loraParameters",
  "loraGradients",
  "optimizerStates",
  "activations",
  "logits",
  "cudaContext",
  "allocatorOverhead",
] as const;
export type VramComponent = (typeof VRAM_COMPONENTS)[number];

/** What a run is predicted to need at its peak. */
export interface VramEstimate {
  /** Peak memory the process holds on the GPU, MiB (what nvidia-smi would show). */
  totalMiB: number;
  /** The same total split by component, MiB each. */
  breakdown: Record<VramComponent, number>;
  /** The model id the estimate is for. */
  model: string;
}

/**
 * Bytes per parameter of 4-bit NF4/FP4 weights: 4 bits, plus one fp32 absmax per 64-weight
 * block (0.5 bit/param), or with double quantization an 8-bit absmax plus one fp32 constant per
 * 256 blocks (8/64 + 32/(64·256) ≈ 0.127 bit/param). Source: QLoRA paper (Dettmers et al. 2023), §3.
 */
export const NF4_BYTES_PER_PARAM = { doubleQuant: (4 + 8 / 64 + 32 / (64 * 256)) / 8, plain: (4 + 32 / 64) / 8 };

/** Bytes per parameter of LLM.int8 weights: one byte plus a negligible fp32 scale per row (bitsandbytes). */
export const INT8_BYTES_PER_PARAM = 1;

/**
 * Bytes per logit element (tokens × vocabulary) at the loss: the bf16 logits (2), their fp32
 * upcast in transformers' `ForCausalLMLoss` (4), the log-softmax output cross-entropy saves (4),
 * and the fp32 gradient (4) plus its bf16 cast (2) in the backward pass. TRL also keeps the
 * logits alive to log token accuracy, so none of them is freed early.
 */
export const LOGIT_BYTES_PER_ELEMENT = 16;

/**
 * CUDA context of one PyTorch process on an Ampere/Ada/Hopper GPU with CUDA 12 lazy module
 * loading, cuBLAS workspace and the bitsandbytes kernels, MiB. Measured contexts range
 * 300–600 MiB (PyTorch's "CUDA semantics" notes; `nvidia-smi` minus `memory_reserved()`).
 */
export const CUDA_CONTEXT_MIB = 512;

/**
 * Share of the tensors the PyTorch caching allocator keeps reserved beyond what is allocated
 * (block rounding, fragmentation between steps of varying length): typically 5–15% in PEFT's
 * MetaMathQA benchmark logs (reserved vs allocated); 10% is assumed.
 */
export const ALLOCATOR_OVERHEAD_FRACTION = 0.1;

/** Bytes of optimizer state per trainable parameter (two fp32 moments for AdamW; 8-bit AdamW: two uint8 + block stats). */
export const OPTIMIZER_BYTES_PER_PARAM: Record<RunSpec["training"]["optimizer"], number> = {
  adamw_torch: 8,
  paged_adamw_32bit: 8,
  adamw_8bit: 2,
  paged_adamw_8bit: 2,
  sgd: 0,
};

/** Bytes of the compute dtype. */
function dtypeBytes(dtype: RunSpec["quantization"]["computeDtype"]): number {
  return dtype === "float32" ? 4 : 2;
}

/**
 * Bytes one token leaves saved for the backward pass in one decoder layer, without gradient
 * checkpointing (Korthikanti et al. 2022, "Reducing Activation Recomputation", §4, redone for
 * a gated MLP, RMSNorm and fused SDPA attention):
 * - attention: the normed input (2h), q/k/v after RoPE with k/v repeated to every query head
 *   (3·2·qDim), the SDPA output and its reshaped copy for `o_proj` (2·2·qDim);
 * - MLP: the normed input (2h), gate and up outputs, the activation and the product (4·2i);
 * - two RMSNorms that upcast to fp32 (2·4h);
 * - LoRA per wrapped module: the input cast to the adapter's dtype (2·in), plus the dropout mask
 *   (1·in) when dropout > 0, plus the rank-r intermediate (4r).
 * k-bit training casts the norms to fp32 (PEFT `prepare_model_for_kbit_training`), so their
 * outputs, which feed the projections, are fp32 too (+2·2h).
 */
function activationBytesPerTokenPerLayer(
  model: ModelArchitecture,
  adapted: readonly LinearModule[],
  spec: RunSpec,
  elementBytes: number,
): number {
  const h = model.hiddenSize;
  const i = model.intermediateSize;
  const qDim = model.attentionHeads * model.headDim;
  const scale = elementBytes / 2;
  const attention = (2 * h + 6 * qDim + 4 * qDim) * scale;
  const mlp = (2 * h + 8 * i) * scale;
  const norms = 8 * h;
  const kbitNormOutputs = spec.quantization.bits < 16 ? 4 * h : 0;
  const perModuleInputBytes = spec.lora.dropout > 0 ? 3 : 2;
  const lora = adapted.reduce((sum, m) => sum + perModuleInputBytes * m.inFeatures + 4 * spec.lora.r, 0);
  return attention + mlp + norms + kbitNormOutputs + lora;
}

/**
 * Predict the peak GPU memory of a run, MiB, with its breakdown. `model` is an architecture or
 * a model id; an id labkit does not know throws `UnknownModelError`.
 */
export function estimatePeakVram(spec: RunSpec, model: ModelArchitecture | string = spec.baseModel): VramEstimate {
  const arch = typeof model === "string" ? requireModelArchitecture(model) : model;
  const { bits, doubleQuant, computeDtype } = spec.quantization;
  const { maxSeqLength, microBatchSize, gradientCheckpointing, optimizer } = spec.training;
  const elementBytes = dtypeBytes(computeDtype);
  const tokens = maxSeqLength * microBatchSize;
  const modules = linearModules(arch);
  const adapted = adaptedModules(arch, spec.lora.targetModules);

  // Frozen base: the decoder's linear layers, quantized or not.
  const linearParams = linearParameterCount(arch);
  const weightBytesPerParam =
    bits === 4
      ? NF4_BYTES_PER_PARAM[doubleQuant ? "doubleQuant" : "plain"]
      : bits === 8
        ? INT8_BYTES_PER_PARAM
        : elementBytes;
  let baseWeightBytes = linearParams * weightBytesPerParam;
  if (bits < 16) {
    // bitsandbytes dequantizes one weight at a time to the compute dtype, in the forward and again
    // in the backward pass: room for the largest one, twice.
    const largest = Math.max(...modules.map((m) => m.inFeatures * m.outFeatures));
    baseWeightBytes += 2 * largest * elementBytes;
  }

  // Embedding, output head and norms stay unquantized; k-bit training upcasts them to fp32.
  const normParams = arch.layers * 2 * arch.hiddenSize + arch.hiddenSize;
  const unquantizedBytes = (embeddingParameterCount(arch) + normParams) * (bits < 16 ? 4 : elementBytes);

  // LoRA: A (r × in) and B (out × r) per wrapped module, kept in fp32 by PEFT (autocast_adapter_dtype).
  const loraParams = arch.layers * adapted.reduce((sum, m) => sum + spec.lora.r * (m.inFeatures + m.outFeatures), 0);
  const loraBytes = loraParams * 4;
  const loraGradientBytes = loraParams * 4;
  const optimizerBytes = loraParams * OPTIMIZER_BYTES_PER_PARAM[optimizer];

  // Activations: all layers kept, or with checkpointing one saved input per layer plus one
  // layer recomputed in full during its backward pass.
  const perLayer = activationBytesPerTokenPerLayer(arch, adapted, spec, elementBytes);
  const layerInputBytes = arch.hiddenSize * elementBytes;
  const activationBytes =
    tokens * (gradientCheckpointing ? arch.layers * layerInputBytes + perLayer : arch.layers * perLayer);

  const logitBytes = tokens * arch.vocabSize * LOGIT_BYTES_PER_ELEMENT * (elementBytes / 2);

  const tensorsMiB = {
    baseWeights: baseWeightBytes / MIB,
    unquantizedWeights: unquantizedBytes / MIB,
    loraParameters: loraBytes / MIB,
    loraGradients: loraGradientBytes / MIB,
    optimizerStates: optimizerBytes / MIB,
    activations: activationBytes / MIB,
    logits: logitBytes / MIB,
  };
  const tensorTotal = Object.values(tensorsMiB).reduce((a, b) => a + b, 0);
  const breakdown: Record<VramComponent, number> = {
    ...tensorsMiB,
    cudaContext: CUDA_CONTEXT_MIB,
    allocatorOverhead: tensorTotal * ALLOCATOR_OVERHEAD_FRACTION,
  };
  for (const key of VRAM_COMPONENTS) breakdown[key] = Math.ceil(breakdown[key]);
  const totalMiB = VRAM_COMPONENTS.reduce((sum, key) => sum + breakdown[key], 0);
  return { totalMiB, breakdown, model: arch.id };
}

/** MiB of the tensors alone (what `torch.cuda.max_memory_allocated()` reports), from an estimate. */
export function allocatedMiB(estimate: VramEstimate): number {
  return estimate.totalMiB - estimate.breakdown.cudaContext - estimate.breakdown.allocatorOverhead;
}

/** MiB the caching allocator holds (what `torch.cuda.max_memory_reserved()` reports), from an estimate. */
export function reservedMiB(estimate: VramEstimate): number {
  return estimate.totalMiB - estimate.breakdown.cudaContext;
}
