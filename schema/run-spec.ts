/**
 * RunSpec: what a learner asks the lab-controller to run (one LoRA or QLoRA fine-tuning job).
 *
 * A learner sends a partial RunSpec (`RunSpecInput`); the controller fills every missing field
 * from the exercise's defaults in cohort.yaml and then from the method's defaults
 * (`resolveRunSpec`), and validates the result with `RunSpecSchema`. The Python runner reads
 * the resolved RunSpec and checks it against the JSON Schema generated from this file.
 */
import { z } from "zod";

/** A model id as on the Hugging Face Hub, e.g. `Qwen/Qwen2.5-0.5B-Instruct`. */
export const ModelIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/,
    "expected a Hugging Face model id such as `Qwen/Qwen2.5-0.5B-Instruct` (owner/name)",
  );

export const METHODS = ["qlora", "lora"] as const;
/** `qlora`: a 4-bit quantized frozen base plus LoRA adapters; `lora`: a 16-bit base plus adapters. */
export type Method = (typeof METHODS)[number];

export const OPTIMIZERS = ["paged_adamw_32bit", "paged_adamw_8bit", "adamw_torch", "adamw_8bit", "sgd"] as const;
export type Optimizer = (typeof OPTIMIZERS)[number];

export const COMPUTE_DTYPES = ["bfloat16", "float16", "float32"] as const;
export type ComputeDtype = (typeof COMPUTE_DTYPES)[number];

export const METRICS = ["perplexity", "rougeL", "bleu"] as const;
export type Metric = (typeof METRICS)[number];

/** The projection names LoRA can wrap, or `all-linear` (PEFT's shorthand for every linear layer but the output head). */
export const TargetModulesSchema = z.union([
  z.literal("all-linear"),
  z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, "expected a module name such as `q_proj`"))
    .min(1, "name at least one module, or use `all-linear`"),
]);

export const LoraSchema = z
  .object({
    r: z.number().int().min(1).max(1024).describe("Rank of the LoRA update matrices. Default 16."),
    alpha: z
      .number()
      .positive()
      .max(4096)
      .describe("Scaling numerator (the update is scaled by alpha / r). Default 2 \u00d7 r."),
    dropout: z.number().min(0).max(0.9).describe("Dropout on the LoRA input. Default 0.05."),
    targetModules: TargetModulesSchema.describe("Which modules get adapters. Default `all-linear`."),
  })
  .strict();

export const QuantizationSchema = z
  .object({
    bits: z
      .union([z.literal(4), z.literal(8), z.literal(16)])
      .describe(
        "Bits of the frozen base weights: 4 (QLoRA, bitsandbytes), 8 (LLM.int8) or 16 (bf16/fp16). Default 4 for qlora, 16 for lora.",
      ),
    quantType: z.enum(["nf4", "fp4"]).describe("4-bit data type. Default `nf4` (the QLoRA paper's NormalFloat)."),
    doubleQuant: z
      .boolean()
      .describe("Quantize the quantization constants too (saves about 0.37 bits per parameter). Default true."),
    computeDtype: z.enum(COMPUTE_DTYPES).describe("Dtype the matmuls run in. Default `bfloat16`."),
  })
  .strict();

export const TrainingSchema = z
  .object({
    maxSeqLength: z
      .number()
      .int()
      .min(16)
      .max(131072)
      .describe("Longest tokenized example; longer ones are truncated. Default 1024 tokens."),
    microBatchSize: z.number().int().min(1).max(512).describe("Examples per forward pass on the GPU. Default 4."),
    gradientAccumulationSteps: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .describe("Micro batches per optimizer step. Default 4."),
    epochs: z
      .number()
      .positive()
      .max(100)
      .describe("Passes over the training split. Default 1. Ignored when `maxSteps` is set."),
    maxSteps: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe("Stop after this many optimizer steps (overrides `epochs`). Default unset."),
    learningRate: z.number().positive().max(1).describe("Peak learning rate. Default 2e-4."),
    gradientCheckpointing: z
      .boolean()
      .describe("Recompute activations in the backward pass to save memory. Default true."),
    optimizer: z.enum(OPTIMIZERS).describe("Optimizer, by its Hugging Face `optim` name. Default `paged_adamw_32bit`."),
    warmupRatio: z
      .number()
      .min(0)
      .max(0.5)
      .describe("Fraction of the steps spent warming the learning rate up. Default 0.03."),
    seed: z.number().int().min(0).describe("Random seed. Default 42."),
  })
  .strict();

/**
 * Where the training data comes from. `builtin`: a dataset shipped with the workshop (in the
 * runner image). `upload`: a JSONL file from the learner's lab that the client sends with the
 * run; the controller stores it in the cohort's artifact bucket and fills in `uri` and `sha256`.
 */
export const DatasetSchema = z
  .object({
    source: z
      .enum(["builtin", "upload"])
      .describe("`builtin`: a dataset shipped with the workshop; `upload`: a JSONL file sent with the run."),
    name: z.string().min(1).max(200).describe("Built-in dataset name, or the uploaded file's name (for display)."),
    uri: z.string().optional().describe("Set by the controller for uploads: where the runner fetches the file."),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional()
      .describe("Set by the controller for uploads: sha256 of the file, checked by the runner."),
    testSplit: z.number().gt(0).lt(0.9).describe("Fraction of examples held out for evaluation. Default 0.1."),
  })
  .strict();

export const EvaluationSchema = z
  .object({
    metrics: z
      .array(z.enum(METRICS))
      .min(1)
      .describe("Metrics computed on the held-out split before and after training. Default all three."),
    samples: z
      .number()
      .int()
      .min(0)
      .max(64)
      .describe("How many held-out prompts to generate before/after samples for. Default 4."),
    maxNewTokens: z.number().int().min(1).max(4096).describe("Tokens generated per sample. Default 128."),
  })
  .strict();

/** A fully resolved RunSpec: every field set. */
export const RunSpecSchema = z
  .object({
    exercise: z.string().min(1).describe("Exercise id from the cohort's exercise catalog."),
    baseModel: ModelIdSchema.describe("Base model id; must be in the cohort's model catalog."),
    method: z.enum(METHODS),
    lora: LoraSchema,
    quantization: QuantizationSchema,
    training: TrainingSchema,
    dataset: DatasetSchema,
    evaluation: EvaluationSchema,
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.method === "qlora" && spec.quantization.bits !== 4) {
      ctx.addIssue({
        code: "custom",
        path: ["quantization", "bits"],
        message: `method qlora trains on a 4-bit base, but quantization.bits is ${spec.quantization.bits}: set bits to 4, or use method lora`,
      });
    }
    if (spec.method === "lora" && spec.quantization.bits === 4) {
      ctx.addIssue({
        code: "custom",
        path: ["quantization", "bits"],
        message: "a 4-bit base is QLoRA: set method to qlora, or bits to 16 (or 8)",
      });
    }
    if (spec.dataset.source === "upload" && spec.dataset.uri !== undefined && !spec.dataset.sha256) {
      ctx.addIssue({
        code: "custom",
        path: ["dataset", "sha256"],
        message: "an uploaded dataset with a uri must carry its sha256",
      });
    }
  });
export type RunSpec = z.infer<typeof RunSpecSchema>;

/** Make every field of a RunSpec section optional, one level deep (sections are flat). */
const partialSection = <T extends z.ZodRawShape>(schema: z.ZodObject<T>) => schema.partial().strict();

/**
 * What a learner (or an exercise's `defaults` in cohort.yaml) may give: any subset of the
 * RunSpec. Unknown keys are refused so that a typo never silently falls back to a default.
 */
export const RunSpecInputSchema = z
  .object({
    exercise: z.string().min(1).optional().describe("Exercise id from the cohort's catalog."),
    baseModel: ModelIdSchema.optional().describe("Base model id; must be in the cohort's model catalog."),
    method: z.enum(METHODS).optional().describe("`qlora` (4-bit base) or `lora` (16-bit base). Default `qlora`."),
    lora: partialSection(LoraSchema).optional().describe("LoRA adapter shape: rank, alpha, dropout, target modules."),
    quantization: partialSection(QuantizationSchema)
      .optional()
      .describe("How the frozen base is stored: bits, 4-bit type, double quantization, compute dtype."),
    training: partialSection(TrainingSchema)
      .optional()
      .describe("Training loop: sequence length, batch, accumulation, epochs or steps, learning rate, optimizer."),
    dataset: partialSection(DatasetSchema).optional().describe("Training data and the held-out split."),
    evaluation: partialSection(EvaluationSchema)
      .optional()
      .describe("Before/after evaluation: metrics and generated samples."),
  })
  .strict();
export type RunSpecInput = z.infer<typeof RunSpecInputSchema>;

/** The defaults every RunSpec starts from before the exercise's and the learner's values. */
export function methodDefaults(method: Method): Omit<RunSpec, "exercise" | "baseModel" | "dataset"> & {
  dataset: Omit<RunSpec["dataset"], "source" | "name">;
} {
  const r = 16;
  return {
    method,
    lora: { r, alpha: 2 * r, dropout: 0.05, targetModules: "all-linear" },
    quantization: {
      bits: method === "qlora" ? 4 : 16,
      quantType: "nf4",
      doubleQuant: true,
      computeDtype: "bfloat16",
    },
    training: {
      maxSeqLength: 1024,
      microBatchSize: 4,
      gradientAccumulationSteps: 4,
      epochs: 1,
      learningRate: 2e-4,
      gradientCheckpointing: true,
      optimizer: "paged_adamw_32bit",
      warmupRatio: 0.03,
      seed: 42,
    },
    dataset: { testSplit: 0.1 },
    evaluation: { metrics: [...METRICS], samples: 4, maxNewTokens: 128 },
  };
}

export class RunSpecError extends Error {
  constructor(
    message: string,
    /** One line per problem: `path: what is wrong`. */
    readonly problems: string[],
  ) {
    super(message);
    this.name = "RunSpecError";
  }
}

/** Format a zod issue path as `training.microBatchSize` (or `(root)`). */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`))
    .join("");
}

/** Turn zod issues into one readable line each. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`);
}

/**
 * Resolve a learner's partial RunSpec: learner values win over the exercise's defaults, which
 * win over the method's defaults. Throws `RunSpecError` listing every problem at once.
 *
 * `exerciseDefaults` comes from cohort.yaml and must name at least `baseModel` and `dataset`.
 */
export function resolveRunSpec(input: unknown, exerciseId: string, exerciseDefaults: RunSpecInput): RunSpec {
  const parsedInput = RunSpecInputSchema.safeParse(input ?? {});
  if (!parsedInput.success) {
    const problems = describeIssues(parsedInput.error);
    throw new RunSpecError(`the run spec is not valid: ${problems.join("; ")}`, problems);
  }
  const given = parsedInput.data;
  const method = given.method ?? exerciseDefaults.method ?? "qlora";
  const base = methodDefaults(method);
  const merged = {
    exercise: exerciseId,
    baseModel: given.baseModel ?? exerciseDefaults.baseModel,
    method,
    lora: { ...base.lora, ...exerciseDefaults.lora, ...given.lora },
    quantization: {
      ...base.quantization,
      // A learner who switches the method without naming bits gets that method's bits.
      ...(given.method && given.method !== exerciseDefaults.method ? {} : exerciseDefaults.quantization),
      ...given.quantization,
    },
    training: { ...base.training, ...exerciseDefaults.training, ...given.training },
    dataset: { ...base.dataset, ...exerciseDefaults.dataset, ...given.dataset },
    evaluation: { ...base.evaluation, ...exerciseDefaults.evaluation, ...given.evaluation },
  };
  // alpha follows r unless someone set alpha explicitly.
  if (given.lora?.alpha === undefined && exerciseDefaults.lora?.alpha === undefined) {
    merged.lora.alpha = 2 * merged.lora.r;
  }
  const parsed = RunSpecSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error);
    throw new RunSpecError(`the run spec is not valid: ${problems.join("; ")}`, problems);
  }
  return parsed.data;
}
