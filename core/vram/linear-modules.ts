/**
 * The linear layers of one decoder layer, by their Hugging Face module names: what gets
 * quantized, and what LoRA can wrap.
 */
import type { ModelArchitecture } from "./model-architectures";

/** One `nn.Linear` of a decoder layer. */
export interface LinearModule {
  /** Module name as PEFT's `target_modules` sees it, e.g. `q_proj`. */
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** The linear modules of one decoder layer (Llama/Qwen/Mistral/Gemma names, or Phi-3's fused ones). */
export function linearModules(model: ModelArchitecture): LinearModule[] {
  const h = model.hiddenSize;
  const i = model.intermediateSize;
  const qDim = model.attentionHeads * model.headDim;
  const kvDim = model.kvHeads * model.headDim;
  if (model.fusedProjections) {
    return [
      { name: "qkv_proj", inFeatures: h, outFeatures: qDim + 2 * kvDim },
      { name: "o_proj", inFeatures: qDim, outFeatures: h },
      { name: "gate_up_proj", inFeatures: h, outFeatures: 2 * i },
      { name: "down_proj", inFeatures: i, outFeatures: h },
    ];
  }
  return [
    { name: "q_proj", inFeatures: h, outFeatures: qDim },
    { name: "k_proj", inFeatures: h, outFeatures: kvDim },
    { name: "v_proj", inFeatures: h, outFeatures: kvDim },
    { name: "o_proj", inFeatures: qDim, outFeatures: h },
    { name: "gate_proj", inFeatures: h, outFeatures: i },
    { name: "up_proj", inFeatures: h, outFeatures: i },
    { name: "down_proj", inFeatures: i, outFeatures: h },
  ];
}

/**
 * The modules LoRA wraps for a `targetModules` setting: `all-linear` (PEFT: every linear layer
 * but the output head) or a list of names; a fused Phi-3 module counts when any of its parts is named.
 */
export function adaptedModules(
  model: ModelArchitecture,
  targetModules: "all-linear" | readonly string[],
): LinearModule[] {
  const modules = linearModules(model);
  if (targetModules === "all-linear") return modules;
  const wanted = new Set(targetModules);
  const fusedParts: Record<string, readonly string[]> = {
    qkv_proj: ["q_proj", "k_proj", "v_proj"],
    gate_up_proj: ["gate_proj", "up_proj"],
  };
  return modules.filter((m) => wanted.has(m.name) || (fusedParts[m.name] ?? []).some((part) => wanted.has(part)));
}

/** Parameters of the linear layers of the whole model (all decoder layers). */
export function linearParameterCount(model: ModelArchitecture): number {
  return model.layers * linearModules(model).reduce((sum, m) => sum + m.inFeatures * m.outFeatures, 0);
}

/** Parameters of the embedding plus the output head (once when they are tied). */
export function embeddingParameterCount(model: ModelArchitecture): number {
  return model.vocabSize * model.hiddenSize * (model.tiedEmbeddings ? 1 : 2);
}
