/**
 * `labkit estimate`: predict a LoRA/QLoRA run's peak GPU memory from its config, with the
 * breakdown, and configs that fit when it does not.
 */
import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { parse as parseYaml } from "yaml";
import { estimatePeakVram, UnknownModelError, VRAM_COMPONENTS } from "../../core/vram/estimate-peak-vram";
import { suggestFit } from "../../core/vram/suggest-fit";
import { loadCohort } from "../../schema/load-cohort";
import {
  BUILTIN_DATASETS,
  METHODS,
  OPTIMIZERS,
  type RunSpec,
  type RunSpecInput,
  resolveRunSpec,
} from "../../schema/run-spec";
import { BadInputError } from "../exit-codes";
import { gib, renderTable } from "../format/table";

interface EstimateOptions {
  model?: string;
  method?: RunSpec["method"];
  r?: number;
  seq?: number;
  batch?: number;
  gradAccum?: number;
  checkpointing?: boolean;
  optimizer?: RunSpec["training"]["optimizer"];
  limitGib?: number;
  spec?: string;
  cohort?: string;
  exercise?: string;
  json?: boolean;
}

const positiveInteger = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${flag} expects a whole number of at least 1, got \`${value}\``);
  return n;
};

const positiveNumber = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`${flag} expects a positive number, got \`${value}\``);
  return n;
};

/** Read a RunSpecInput from a JSON or YAML file. */
function readSpecFile(path: string): RunSpecInput {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new BadInputError(`cannot read the run spec file ${path}: ${(error as Error).message}`);
  }
  try {
    const value = parseYaml(text) as unknown;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new BadInputError(
        `${path} must hold one RunSpec object (JSON or YAML), e.g. {"baseModel": "Qwen/Qwen2.5-1.5B-Instruct"}`,
      );
    }
    return value as RunSpecInput;
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    throw new BadInputError(`${path} is not valid JSON or YAML: ${(error as Error).message}`);
  }
}

/** The flags as a RunSpecInput, laid over the spec file's values (flags win). */
function mergeFlags(fromFile: RunSpecInput, options: EstimateOptions): RunSpecInput {
  const training: NonNullable<RunSpecInput["training"]> = { ...fromFile.training };
  if (options.seq !== undefined) training.maxSeqLength = options.seq;
  if (options.batch !== undefined) training.microBatchSize = options.batch;
  if (options.gradAccum !== undefined) training.gradientAccumulationSteps = options.gradAccum;
  if (options.checkpointing !== undefined) training.gradientCheckpointing = options.checkpointing;
  if (options.optimizer !== undefined) training.optimizer = options.optimizer;
  const lora = { ...fromFile.lora, ...(options.r !== undefined ? { r: options.r } : {}) };
  return {
    ...fromFile,
    ...(options.model !== undefined ? { baseModel: options.model } : {}),
    ...(options.method !== undefined ? { method: options.method } : {}),
    ...(Object.keys(lora).length > 0 ? { lora } : {}),
    ...(Object.keys(training).length > 0 ? { training } : {}),
  };
}

/** Resolve the run the flags describe, against an exercise of a cohort when one is named. */
function resolveFromOptions(options: EstimateOptions): { spec: RunSpec; quotaMiB?: number } {
  const input = mergeFlags(options.spec ? readSpecFile(options.spec) : {}, options);
  if (options.cohort !== undefined || options.exercise !== undefined) {
    if (!options.cohort || !options.exercise) {
      throw new BadInputError("--cohort and --exercise go together: name the cohort file and one of its exercise ids");
    }
    const cohort = loadCohort(options.cohort);
    const exercise = cohort.exercises.find((e) => e.id === options.exercise);
    if (!exercise) {
      throw new BadInputError(
        `${options.cohort} has no exercise \`${options.exercise}\`: use one of ${cohort.exercises.map((e) => e.id).join(", ")}`,
      );
    }
    return { spec: resolveRunSpec(input, exercise.id, exercise.defaults), quotaMiB: cohort.quotas.vramGiB * 1024 };
  }
  if (!input.baseModel) {
    throw new BadInputError(
      "name the model: --model <id> (e.g. Qwen/Qwen2.5-1.5B-Instruct), or a --spec file with baseModel",
    );
  }
  const defaults: RunSpecInput = {
    baseModel: input.baseModel,
    dataset: { source: "builtin", name: BUILTIN_DATASETS[0] },
  };
  return { spec: resolveRunSpec(input, input.exercise ?? "estimate", defaults) };
}

export function registerEstimate(program: Command): void {
  program
    .command("estimate")
    .description(
      "predict a LoRA/QLoRA run's peak GPU memory from its config, with a breakdown and configs that fit a limit",
    )
    .option("--model <id>", "base model id, e.g. Qwen/Qwen2.5-1.5B-Instruct")
    .addOption(new Option("--method <method>", "qlora (4-bit base) or lora (16-bit base)").choices(METHODS))
    .option("--r <rank>", "LoRA rank", positiveInteger("--r"))
    .option("--seq <tokens>", "max sequence length, tokens", positiveInteger("--seq"))
    .option("--batch <n>", "micro batch size", positiveInteger("--batch"))
    .option("--grad-accum <n>", "gradient accumulation steps", positiveInteger("--grad-accum"))
    .option("--checkpointing", "gradient checkpointing on")
    .option("--no-checkpointing", "gradient checkpointing off")
    .addOption(new Option("--optimizer <name>", "optimizer (Hugging Face `optim` name)").choices(OPTIMIZERS))
    .option(
      "--limit-gib <gib>",
      "memory limit to check against, GiB (default: the cohort's quota with --cohort)",
      positiveNumber("--limit-gib"),
    )
    .option("--spec <file>", "a RunSpec (JSON or YAML, any subset of fields); flags override it")
    .option("--cohort <file>", "resolve against an exercise's defaults in this cohort.yaml (with --exercise)")
    .option("--exercise <id>", "exercise id in --cohort")
    .option("--json", "print the estimate as JSON (totalMiB, breakdown, suggestions)")
    .addHelpText(
      "after",
      "\nExamples:\n  labkit estimate --model Qwen/Qwen2.5-3B-Instruct --method lora --seq 2048 --limit-gib 16\n  labkit estimate --cohort workshop/cohort.example.yaml --exercise qlora-challenge --batch 8\n  labkit estimate --spec run.json --json | jq .totalMiB",
    )
    .action((options: EstimateOptions) => {
      const { spec, quotaMiB } = resolveFromOptions(options);
      const limitMiB = options.limitGib !== undefined ? Math.floor(options.limitGib * 1024) : quotaMiB;
      let estimate: ReturnType<typeof estimatePeakVram>;
      let suggestions: ReturnType<typeof suggestFit> = [];
      try {
        estimate = estimatePeakVram(spec);
        if (limitMiB !== undefined) suggestions = suggestFit(spec, limitMiB);
      } catch (error) {
        if (error instanceof UnknownModelError) throw new BadInputError(error.message);
        throw error;
      }
      const fits = limitMiB === undefined ? undefined : estimate.totalMiB <= limitMiB;
      if (options.json) {
        const report = {
          model: estimate.model,
          method: spec.method,
          totalMiB: estimate.totalMiB,
          breakdown: estimate.breakdown,
          limitMiB: limitMiB ?? null,
          fits: fits ?? null,
          suggestions: suggestions.map((s) => ({ change: s.change, totalMiB: s.estimate.totalMiB, spec: s.spec })),
          spec,
        };
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const t = spec.training;
      const lines = [
        `${estimate.model}, ${spec.method} (${spec.quantization.bits}-bit base), LoRA r=${spec.lora.r} on ${spec.lora.targetModules === "all-linear" ? "all linear layers" : spec.lora.targetModules.join(", ")}`,
        `micro batch ${t.microBatchSize} × ${t.maxSeqLength} tokens, gradient checkpointing ${t.gradientCheckpointing ? "on" : "off"}, ${t.optimizer}`,
        "",
        `Predicted peak GPU memory: ${gib(estimate.totalMiB)} (${estimate.totalMiB} MiB)`,
        "",
        ...renderTable(
          ["component", "MiB", "GiB"],
          VRAM_COMPONENTS.map((c) => [c, estimate.breakdown[c], gib(estimate.breakdown[c])]),
        ),
      ];
      if (limitMiB !== undefined) {
        lines.push("");
        if (fits) {
          lines.push(`Fits the limit of ${gib(limitMiB)} (${gib(limitMiB - estimate.totalMiB)} to spare).`);
        } else if (suggestions.length === 0) {
          lines.push(
            `Does not fit the limit of ${gib(limitMiB)}, and no smaller config of this model does: pick a smaller model.`,
          );
        } else {
          lines.push(`Does not fit the limit of ${gib(limitMiB)}. Configs that fit, nearest first:`);
          for (const s of suggestions) lines.push(`  - ${s.change}: ${gib(s.estimate.totalMiB)}`);
        }
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
