/**
 * The deployed stack's outputs, for commands that act on a running cohort (`labkit export`,
 * `reset`, `scale`, `destroy-check`): from `pulumi stack output --json`, or from a file holding
 * that command's output (for machines without the Pulumi CLI, and for tests).
 */
import { readFile } from "node:fs/promises";
import { ProcessError, runProcess } from "../lib/run-process";
import { BadInputError } from "./exit-codes";

/** Where to read the outputs from. */
export interface StackOutputSource {
  /** A JSON file with the output of `pulumi stack output --json`; when set, the Pulumi CLI is not run. */
  readonly outputsFile?: string;
  /** Pulumi stack name for `pulumi stack output --stack`; default: the selected stack. */
  readonly stack?: string;
  /** Folder of the Pulumi project; default: the current directory. */
  readonly cwd?: string;
  /** Ask Pulumi for secret outputs in clear (`--show-secrets`), e.g. the learners' tokens. Default false. */
  readonly showSecrets?: boolean;
}

/** The outputs, or why there are none (no Pulumi CLI, no stack): callers fall back to flags. */
export type StackOutputs =
  | { readonly found: true; readonly outputs: Readonly<Record<string, unknown>> }
  | { readonly found: false; readonly reason: string };

/** Reads the stack's outputs. A file that is not JSON is bad input; a missing Pulumi CLI or stack is reported, not thrown. */
export async function readStackOutputs(source: StackOutputSource): Promise<StackOutputs> {
  if (source.outputsFile) {
    let text: string;
    try {
      text = await readFile(source.outputsFile, "utf8");
    } catch (error) {
      throw new BadInputError(`cannot read the stack outputs file ${source.outputsFile}: ${(error as Error).message}`);
    }
    return { found: true, outputs: parseOutputs(text, source.outputsFile) };
  }
  const args = [
    "stack",
    "output",
    "--json",
    ...(source.showSecrets ? ["--show-secrets"] : []),
    ...(source.stack ? ["--stack", source.stack] : []),
  ];
  const result = await runPulumi(args, { cwd: source.cwd, timeoutMs: 60_000 });
  if (!result.ok) return { found: false, reason: result.reason };
  return { found: true, outputs: parseOutputs(result.stdout, `pulumi ${args.join(" ")}`) };
}

/** Run the Pulumi CLI; a failure is a reason a person can act on, never a throw. */
export async function runPulumi(
  args: readonly string[],
  options: { cwd?: string; timeoutMs: number },
): Promise<{ ok: true; stdout: string } | { ok: false; reason: string }> {
  try {
    return { ok: true, stdout: (await runProcess("pulumi", args, options)).stdout };
  } catch (error) {
    if (!(error instanceof ProcessError)) throw error;
    return {
      ok: false,
      reason: error.notInstalled ? "the Pulumi CLI is not installed (no `pulumi` on PATH)" : error.message,
    };
  }
}

function parseOutputs(text: string, where: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new BadInputError(`${where} is not the JSON object \`pulumi stack output --json\` prints`);
}

/** A string output, or undefined when the stack has no such output. */
export function stringOutput(outputs: StackOutputs, name: string): string | undefined {
  if (!outputs.found) return undefined;
  const value = outputs.outputs[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/**
 * Stack output names the CLI reads; infra/index.ts exports them. `gpuNodeGroups` maps each GPU
 * pool's name to its EKS managed node group's name.
 */
export const STACK_OUTPUTS = {
  cohortName: "cohortName",
  region: "region",
  clusterName: "clusterName",
  artifactBucket: "artifactBucket",
  artifactsOnDestroy: "artifactsOnDestroy",
  gpuNodeGroups: "gpuNodeGroups",
  vpcId: "vpcId",
} as const;
