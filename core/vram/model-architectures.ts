/**
 * Architecture facts of the models a workshop fine-tunes: what the VRAM estimator needs.
 *
 * Every number is copied from the model's public `config.json` on the Hugging Face Hub
 * (`https://huggingface.co/<id>/blob/main/config.json`): `num_hidden_layers`, `hidden_size`,
 * `intermediate_size`, `num_attention_heads`, `num_key_value_heads`, `head_dim` (when set,
 * otherwise hidden ÷ heads), `vocab_size` and `tie_word_embeddings`. `parameterCount` is the
 * total the model card states (safetensors metadata), used to check the layer arithmetic.
 */

/** One decoder-only transformer, as its config.json describes it. */
export interface ModelArchitecture {
  /** Hugging Face model id, e.g. `Qwen/Qwen2.5-1.5B-Instruct`. */
  readonly id: string;
  /** `num_hidden_layers`: decoder layers. */
  readonly layers: number;
  /** `hidden_size`: width of the residual stream. */
  readonly hiddenSize: number;
  /** `intermediate_size`: width of the gated MLP. */
  readonly intermediateSize: number;
  /** `num_attention_heads`: query heads. */
  readonly attentionHeads: number;
  /** `num_key_value_heads`: key/value heads (fewer than query heads with grouped-query attention). */
  readonly kvHeads: number;
  /** `head_dim`: width of one head (hidden ÷ heads unless config.json says otherwise). */
  readonly headDim: number;
  /** `vocab_size`: rows of the embedding and of the output head. */
  readonly vocabSize: number;
  /** `tie_word_embeddings`: the output head shares the embedding matrix. */
  readonly tiedEmbeddings: boolean;
  /** Total parameters as published (model card / safetensors metadata). */
  readonly parameterCount: number;
  /** Phi-3 style fused projections (`qkv_proj`, `gate_up_proj`) instead of separate ones. Default false. */
  readonly fusedProjections: boolean;
  /** Where the facts come from. */
  readonly source: string;
  /** True for models kept only to check the estimator against published measurements. Default false. */
  readonly calibrationOnly?: boolean;
}

const hub = (id: string) => `https://huggingface.co/${id}/blob/main/config.json`;

type Facts = Omit<ModelArchitecture, "source" | "headDim" | "fusedProjections"> &
  Partial<Pick<ModelArchitecture, "headDim" | "fusedProjections">>;

const model = (facts: Facts): ModelArchitecture => ({
  ...facts,
  headDim: facts.headDim ?? facts.hiddenSize / facts.attentionHeads,
  fusedProjections: facts.fusedProjections ?? false,
  source: hub(facts.id),
});

/** Every model labkit can estimate, workshop models first. */
export const MODEL_ARCHITECTURES: readonly ModelArchitecture[] = [
  model({
    id: "HuggingFaceTB/SmolLM2-135M-Instruct",
    layers: 30,
    hiddenSize: 576,
    intermediateSize: 1536,
    attentionHeads: 9,
    kvHeads: 3,
    vocabSize: 49152,
    tiedEmbeddings: true,
    parameterCount: 134_515_008,
  }),
  model({
    id: "HuggingFaceTB/SmolLM2-360M-Instruct",
    layers: 32,
    hiddenSize: 960,
    intermediateSize: 2560,
    attentionHeads: 15,
    kvHeads: 5,
    vocabSize: 49152,
    tiedEmbeddings: true,
    parameterCount: 361_821_120,
  }),
  model({
    id: "HuggingFaceTB/SmolLM2-1.7B-Instruct",
    layers: 24,
    hiddenSize: 2048,
    intermediateSize: 8192,
    attentionHeads: 32,
    kvHeads: 32,
    vocabSize: 49152,
    tiedEmbeddings: true,
    parameterCount: 1_711_376_384,
  }),
  model({
    id: "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
    layers: 22,
    hiddenSize: 2048,
    intermediateSize: 5632,
    attentionHeads: 32,
    kvHeads: 4,
    vocabSize: 32000,
    tiedEmbeddings: false,
    parameterCount: 1_100_048_384,
  }),
  model({
    id: "Qwen/Qwen2.5-0.5B-Instruct",
    layers: 24,
    hiddenSize: 896,
    intermediateSize: 4864,
    attentionHeads: 14,
    kvHeads: 2,
    vocabSize: 151936,
    tiedEmbeddings: true,
    parameterCount: 494_032_768,
  }),
  model({
    id: "Qwen/Qwen2.5-1.5B-Instruct",
    layers: 28,
    hiddenSize: 1536,
    intermediateSize: 8960,
    attentionHeads: 12,
    kvHeads: 2,
    vocabSize: 151936,
    tiedEmbeddings: true,
    parameterCount: 1_543_714_304,
  }),
  model({
    id: "Qwen/Qwen2.5-3B-Instruct",
    layers: 36,
    hiddenSize: 2048,
    intermediateSize: 11008,
    attentionHeads: 16,
    kvHeads: 2,
    vocabSize: 151936,
    tiedEmbeddings: true,
    parameterCount: 3_085_938_688,
  }),
  model({
    id: "Qwen/Qwen2.5-7B-Instruct",
    layers: 28,
    hiddenSize: 3584,
    intermediateSize: 18944,
    attentionHeads: 28,
    kvHeads: 4,
    vocabSize: 152064,
    tiedEmbeddings: false,
    parameterCount: 7_615_616_512,
  }),
  model({
    id: "meta-llama/Llama-3.2-1B-Instruct",
    layers: 16,
    hiddenSize: 2048,
    intermediateSize: 8192,
    attentionHeads: 32,
    kvHeads: 8,
    vocabSize: 128256,
    tiedEmbeddings: true,
    parameterCount: 1_235_814_400,
  }),
  model({
    id: "meta-llama/Llama-3.2-3B-Instruct",
    layers: 28,
    hiddenSize: 3072,
    intermediateSize: 8192,
    attentionHeads: 24,
    kvHeads: 8,
    vocabSize: 128256,
    tiedEmbeddings: true,
    parameterCount: 3_212_749_824,
  }),
  model({
    id: "meta-llama/Llama-3.1-8B-Instruct",
    layers: 32,
    hiddenSize: 4096,
    intermediateSize: 14336,
    attentionHeads: 32,
    kvHeads: 8,
    vocabSize: 128256,
    tiedEmbeddings: false,
    parameterCount: 8_030_261_248,
  }),
  model({
    id: "mistralai/Mistral-7B-Instruct-v0.3",
    layers: 32,
    hiddenSize: 4096,
    intermediateSize: 14336,
    attentionHeads: 32,
    kvHeads: 8,
    vocabSize: 32768,
    tiedEmbeddings: false,
    parameterCount: 7_248_023_552,
  }),
  model({
    id: "google/gemma-2-2b-it",
    layers: 26,
    hiddenSize: 2304,
    intermediateSize: 9216,
    attentionHeads: 8,
    kvHeads: 4,
    headDim: 256,
    vocabSize: 256000,
    tiedEmbeddings: true,
    parameterCount: 2_614_341_888,
  }),
  model({
    id: "microsoft/Phi-3.5-mini-instruct",
    layers: 32,
    hiddenSize: 3072,
    intermediateSize: 8192,
    attentionHeads: 32,
    kvHeads: 32,
    vocabSize: 32064,
    tiedEmbeddings: false,
    parameterCount: 3_821_079_552,
    fusedProjections: true,
  }),
  // Kept to check the estimator against published measurements (docs/vram-estimator.md).
  model({
    id: "meta-llama/Llama-2-7b-hf",
    layers: 32,
    hiddenSize: 4096,
    intermediateSize: 11008,
    attentionHeads: 32,
    kvHeads: 32,
    vocabSize: 32000,
    tiedEmbeddings: false,
    parameterCount: 6_738_415_616,
    calibrationOnly: true,
  }),
  model({
    id: "mistralai/Mistral-7B-v0.1",
    layers: 32,
    hiddenSize: 4096,
    intermediateSize: 14336,
    attentionHeads: 32,
    kvHeads: 8,
    vocabSize: 32000,
    tiedEmbeddings: false,
    parameterCount: 7_241_732_096,
    calibrationOnly: true,
  }),
];

const BY_ID = new Map(MODEL_ARCHITECTURES.map((m) => [m.id.toLowerCase(), m]));

/** The architecture of a model id (case-insensitive), or undefined when labkit has no facts about it. */
export function findModelArchitecture(id: string): ModelArchitecture | undefined {
  return BY_ID.get(id.toLowerCase());
}

/** Ids of the models labkit can estimate, for error messages. */
export function knownModelIds(): string[] {
  return MODEL_ARCHITECTURES.map((m) => m.id);
}

/** A model id labkit has no architecture facts for; the message lists the ones it has. */
export class UnknownModelError extends Error {
  constructor(readonly modelId: string) {
    super(
      `labkit has no architecture facts for model \`${modelId}\`, so it cannot estimate its VRAM: use one of ${knownModelIds().join(", ")}, or add its config.json facts to core/vram/model-architectures.ts`,
    );
    this.name = "UnknownModelError";
  }
}

/** The architecture of a model id; throws `UnknownModelError` when it is not in the catalog. */
export function requireModelArchitecture(id: string): ModelArchitecture {
  const found = findModelArchitecture(id);
  if (!found) throw new UnknownModelError(id);
  return found;
}
