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
 * The built-in datasets: the JSONL files the runner image ships (`workshop/datasets/<name>.jsonl`,
 * copied to `/opt/labkit/datasets/` by images/runner/Dockerfile). A closed list, so a spec can
 * name nothing else (no path, no `..`); the runner's JSON Schema carries it as an enum. Add a file
 * there and its name here together (tests/schema/run-spec.test.ts checks they agree).
 */
export const BUILTIN_DATASETS = ["k8s-troubleshooting"] as const;
export type BuiltinDataset = (typeof BUILTIN_DATASETS)[number];

/** A built-in dataset, by name. */
export const BuiltinDatasetNameSchema = z.enum(BUILTIN_DATASETS, {
  error: (issue) =>
    `unknown built-in dataset ${JSON.stringify(issue.input)}: use one of ${BUILTIN_DATASETS.join(", ")}, or upload your own (POST /v1/datasets) and name it by \`id\``,
});

/** Pattern of the ids the controller gives uploads: `ds-` and 12 lower-case base-32 characters. */
export const DATASET_ID_PATTERN = /^ds-[a-z2-7]{12}$/;

/** An uploaded dataset's id, as `POST /v1/datasets` answers it. */
export const DatasetIdSchema = z
  .string()
  .regex(DATASET_ID_PATTERN, "expected an upload id such as `ds-k3v7q2m7xw4a` (POST /v1/datasets answers it)");

/** A display name: no `/`, `\\`, control character (C0 or DEL), and not `.` or `..`. Python's `re` reads it too. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const DISPLAY_NAME_PATTERN = /^(?!\.{1,2}$)[^/\\\x00-\x1f\x7f]+$/;

/**
 * A file name shown for an upload: 1–200 characters, no path separator, no control character,
 * not `.` or `..`. It is only ever displayed; storage is addressed by the file's sha256.
 */
export const DatasetDisplayNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    DISPLAY_NAME_PATTERN,
    "expected a file name such as `my-data.jsonl` (no `/`, `\\`, control characters, `.` or `..`)",
  );

const testSplit = () => z.number().gt(0).lt(0.9).describe("Fraction of examples held out for evaluation. Default 0.1.");

/** Fields only the controller sets; a caller who sends one is told so (not just "unrecognized key"). */
const CONTROLLER_SET_DATASET_FIELDS = ["uri", "sha256"] as const;

/** The message for a dataset object with keys it does not take, naming any the controller sets itself. */
function datasetKeysError(issue: { code?: string; keys?: readonly string[] }): string | undefined {
  if (issue.code !== "unrecognized_keys" || !issue.keys) return undefined;
  const controllerSet = issue.keys.filter((k) => (CONTROLLER_SET_DATASET_FIELDS as readonly string[]).includes(k));
  if (controllerSet.length === 0) return undefined;
  const others = issue.keys.filter((k) => !controllerSet.includes(k));
  return `${controllerSet.map((k) => `\`${k}\``).join(" and ")} ${controllerSet.length === 1 ? "is" : "are"} set by the controller from its own record of your upload, never by the caller: remove ${controllerSet.length === 1 ? "it" : "them"} and name the upload by \`id\` (POST /v1/datasets answers it)${others.length > 0 ? `; also unrecognized: ${others.map((k) => `\`${k}\``).join(", ")}` : ""}`;
}

/** A dataset shipped with the workshop, in the runner image. */
export const BuiltinDatasetSchema = z
  .strictObject({
    source: z.literal("builtin"),
    name: BuiltinDatasetNameSchema.describe(`Built-in dataset name: one of ${BUILTIN_DATASETS.join(", ")}.`),
    testSplit: testSplit(),
  })
  .describe("A dataset shipped with the workshop (in the runner image).");

/** A learner's upload, as the controller resolved it from its own record. */
export const UploadedDatasetSchema = z
  .strictObject({
    source: z.literal("upload"),
    id: DatasetIdSchema.optional().describe(
      "The upload's id (POST /v1/datasets). Set by the controller; absent only in runs started inside a lab without it.",
    ),
    name: DatasetDisplayNameSchema.describe("The uploaded file's name, for display."),
    uri: z
      .string()
      .regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S+|file:\/\/\/\S+)$/, "expected an s3:// or file:/// URI")
      .describe(
        "Set by the controller from its record: where the runner fetches the file (never taken from a caller).",
      ),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe("Set by the controller from its record: sha256 of the file, checked by the runner."),
    testSplit: testSplit(),
  })
  .describe("A JSONL file the learner uploaded; `uri` and `sha256` come from the controller's record of it.");

/**
 * Where the training data comes from, resolved: a built-in dataset by name, or one of the
 * learner's uploads with the `uri` and `sha256` the controller recorded when it took the file.
 */
export const DatasetSchema = z.discriminatedUnion("source", [BuiltinDatasetSchema, UploadedDatasetSchema]);
export type Dataset = z.infer<typeof DatasetSchema>;

/**
 * The `dataset` section as a learner (or an exercise's defaults) gives it: a built-in name, or
 * `source: upload` with the id of one of the caller's uploads. It has no `uri` or `sha256`: the
 * controller sets those from its own record, so a caller can never point a run at a file of
 * their choosing.
 */
export const DatasetInputSchema = z
  .strictObject(
    {
      source: z
        .enum(["builtin", "upload"])
        .optional()
        .describe("`builtin`: a dataset shipped with the workshop; `upload`: one of your uploads, by `id`."),
      name: BuiltinDatasetNameSchema.optional().describe(
        `Built-in dataset name (source \`builtin\`): one of ${BUILTIN_DATASETS.join(", ")}.`,
      ),
      id: DatasetIdSchema.optional().describe("Your upload's id (source `upload`), as POST /v1/datasets answered it."),
      testSplit: testSplit().optional(),
    },
    { error: datasetKeysError },
  )
  .superRefine((d, ctx) => {
    if (d.source === "upload" && d.name !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["name"],
        message: "an upload keeps the name it was uploaded with: remove `name` and name the upload by `id`",
      });
    }
    if (d.id !== undefined && d.source !== "upload") {
      ctx.addIssue({
        code: "custom",
        path: ["id"],
        message: "`id` names one of your uploads: set `source: upload` too (or drop `id` for a built-in dataset)",
      });
    }
  });
export type DatasetInput = z.infer<typeof DatasetInputSchema>;

/**
 * An exercise's default dataset in cohort.yaml: a built-in one. An upload belongs to one learner,
 * so no exercise can name one (learners pick theirs with `source: upload` and `id`).
 */
export const ExerciseDatasetSchema = z
  .strictObject(
    {
      source: z
        .literal("builtin")
        .optional()
        .describe("`builtin`: a dataset shipped with the workshop (the runner image)."),
      name: BuiltinDatasetNameSchema.optional().describe(
        `Built-in dataset name: one of ${BUILTIN_DATASETS.join(", ")}.`,
      ),
      testSplit: testSplit().optional(),
    },
    { error: datasetKeysError },
  )
  .describe("The exercise's dataset, a built-in one, and the held-out split.");

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
    dataset: DatasetInputSchema.optional().describe(
      "Training data: a built-in dataset by `name`, or one of your uploads by `id` (`source: upload`), and the held-out split.",
    ),
    evaluation: partialSection(EvaluationSchema)
      .optional()
      .describe("Before/after evaluation: metrics and generated samples."),
  })
  .strict();
export type RunSpecInput = z.infer<typeof RunSpecInputSchema>;

/** The defaults every RunSpec starts from before the exercise's and the learner's values. */
export function methodDefaults(method: Method): Omit<RunSpec, "exercise" | "baseModel" | "dataset"> & {
  dataset: { testSplit: number };
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

/** What the controller recorded of an upload when it took the file: all a RunSpec needs of it. */
export interface UploadRecord {
  /** The file's name as uploaded, for display. */
  readonly name: string;
  /** Where the runner fetches it (`s3://<bucket>/<key>`). */
  readonly uri: string;
  /** sha256 of the file, hex. */
  readonly sha256: string;
}

/** How `resolveRunSpec` finds the uploads a spec may name. */
export interface ResolveRunSpecOptions {
  /**
   * The caller's own upload with this id, or undefined when they have none by that id. Default:
   * none, so a spec naming an upload is refused (only the controller can resolve one).
   */
  readonly findUpload?: (id: string) => UploadRecord | undefined;
}

/**
 * The resolved `dataset` section: the learner's choice of source wins (a switch to an upload does
 * not inherit the exercise's built-in name); an upload's name, uri and sha256 come only from
 * `findUpload`. Returns the section or the problems (paths below `dataset`).
 */
function resolveDataset(
  given: DatasetInput | undefined,
  exercise: DatasetInput | undefined,
  base: { testSplit: number },
  findUpload: ResolveRunSpecOptions["findUpload"],
): { dataset: Record<string, unknown>; problems: string[] } {
  const source = given?.source ?? exercise?.source ?? "builtin";
  const sameSource = (exercise?.source ?? "builtin") === source;
  const testSplit = given?.testSplit ?? exercise?.testSplit ?? base.testSplit;
  if (source === "builtin") {
    return {
      dataset: { source, name: given?.name ?? (sameSource ? exercise?.name : undefined), testSplit },
      problems: [],
    };
  }
  const id = given?.id ?? (sameSource ? exercise?.id : undefined);
  if (id === undefined) {
    return {
      dataset: { source, testSplit },
      problems: [
        "dataset.id: source `upload` names one of your uploads by id: upload the JSONL file with POST /v1/datasets (or send it with the run as `dataset: { name, contentBase64 }`) and set `id`",
      ],
    };
  }
  const record = findUpload?.(id);
  if (!record) {
    return {
      dataset: { source, id, testSplit },
      problems: [`dataset.id: no dataset \`${id}\` among your uploads: GET /v1/datasets lists them`],
    };
  }
  return {
    dataset: { source, id, name: record.name, uri: record.uri, sha256: record.sha256, testSplit },
    problems: [],
  };
}

/**
 * Resolve a learner's partial RunSpec: learner values win over the exercise's defaults, which
 * win over the method's defaults. Throws `RunSpecError` listing every problem at once.
 *
 * `exerciseDefaults` comes from cohort.yaml and must name at least `baseModel` and `dataset`.
 * A spec naming an upload (`dataset: { source: upload, id }`) resolves only through
 * `options.findUpload`, which gives the upload's uri and sha256: the caller never sets them.
 */
export function resolveRunSpec(
  input: unknown,
  exerciseId: string,
  exerciseDefaults: RunSpecInput,
  options: ResolveRunSpecOptions = {},
): RunSpec {
  const parsedInput = RunSpecInputSchema.safeParse(input ?? {});
  if (!parsedInput.success) {
    const problems = describeIssues(parsedInput.error);
    throw new RunSpecError(`the run spec is not valid: ${problems.join("; ")}`, problems);
  }
  const given = parsedInput.data;
  const method = given.method ?? exerciseDefaults.method ?? "qlora";
  const base = methodDefaults(method);
  const dataset = resolveDataset(given.dataset, exerciseDefaults.dataset, base.dataset, options.findUpload);
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
    dataset: dataset.dataset,
    evaluation: { ...base.evaluation, ...exerciseDefaults.evaluation, ...given.evaluation },
  };
  // alpha follows r unless someone set alpha explicitly.
  if (given.lora?.alpha === undefined && exerciseDefaults.lora?.alpha === undefined) {
    merged.lora.alpha = 2 * merged.lora.r;
  }
  const parsed = RunSpecSchema.safeParse(merged);
  if (!parsed.success || dataset.problems.length > 0) {
    // An unresolved upload also fails the schema (no name, uri, sha256): say why once, as resolving found it.
    const others = parsed.success ? [] : describeIssues(parsed.error);
    const problems = [
      ...dataset.problems,
      ...(dataset.problems.length > 0 ? others.filter((p) => !p.startsWith("dataset")) : others),
    ];
    throw new RunSpecError(`the run spec is not valid: ${problems.join("; ")}`, problems);
  }
  return parsed.data;
}
