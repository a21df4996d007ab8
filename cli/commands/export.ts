/** `labkit export DIR`: copy every learner's adapters and results from the artifact bucket to disk, verified. */
import type { Command } from "commander";
import { loadCohort } from "../../schema/load-cohort";
import { ArtifactMissingError, type ExportOutcome, exportArtifacts } from "../../teardown/export-artifacts";
import { ExportFolderInUseError } from "../../teardown/export-state";
import { formatBytes, ProgressDisplay } from "../../teardown/progress-bar";
import { BadInputError, CommandFailedError } from "../exit-codes";
import { plural } from "../format/table";
import { readStackOutputs, STACK_OUTPUTS, type StackOutputs, stringOutput } from "../stack-outputs";

/** Flags that say which bucket and cohort to export (shared with `labkit reset`). */
export interface ArtifactTargetFlags {
  /** cohort.yaml: its name selects the bucket prefix, its region the bucket's region. */
  cohort?: string;
  bucket?: string;
  region?: string;
  /** An S3-compatible endpoint; default `AWS_ENDPOINT_URL`, else AWS S3. */
  endpointUrl?: string;
  stack?: string;
  stackOutputs?: string;
}

/** The bucket, region, cohort and endpoint an export reads. */
export interface ArtifactTarget {
  readonly bucket: string;
  readonly region: string;
  readonly cohort: string;
  readonly endpointUrl?: string;
}

/** Adds the flags that locate the artifact bucket to a command. */
export function addArtifactTargetOptions(command: Command): Command {
  return command
    .option("--cohort <file>", "cohort.yaml of the cohort (its name and region); default: the stack's outputs")
    .option("--bucket <name>", "artifact bucket; default: the stack output `artifactBucket`")
    .option("--region <region>", "AWS region of the bucket; default: the cohort's region, the stack's, or AWS_REGION")
    .option("--endpoint-url <url>", "S3-compatible endpoint (default: AWS_ENDPOINT_URL, else AWS S3)")
    .option("--stack <name>", "Pulumi stack to read outputs from (default: the selected stack)")
    .option(
      "--stack-outputs <file>",
      "read the stack's outputs from this JSON file (`pulumi stack output --json > file`)",
    );
}

/** Works out the bucket, region and cohort from flags, cohort.yaml and the stack's outputs, in that order. */
export async function resolveArtifactTarget(
  flags: ArtifactTargetFlags,
  knownCohortName?: string,
): Promise<ArtifactTarget> {
  const cohortFile = flags.cohort ? loadCohort(flags.cohort) : undefined;
  let outputs: StackOutputs | undefined;
  const fromStack = async (name: string) => {
    outputs ??= await readStackOutputs({ outputsFile: flags.stackOutputs, stack: flags.stack });
    return stringOutput(outputs, name);
  };
  const why = () => (outputs && !outputs.found ? ` (stack outputs unavailable: ${outputs.reason})` : "");
  const cohort = cohortFile?.name ?? knownCohortName ?? (await fromStack(STACK_OUTPUTS.cohortName));
  if (!cohort) {
    throw new BadInputError(`which cohort? pass --cohort cohort.yaml${why()}`);
  }
  const bucket = flags.bucket ?? (await fromStack(STACK_OUTPUTS.artifactBucket));
  if (!bucket) {
    throw new BadInputError(
      `which artifact bucket? pass --bucket NAME, or run where \`pulumi stack output\` names it${why()}`,
    );
  }
  const region =
    flags.region ?? cohortFile?.cloud.region ?? (await fromStack(STACK_OUTPUTS.region)) ?? process.env.AWS_REGION;
  if (!region) throw new BadInputError(`which AWS region? pass --region, e.g. --region eu-central-1${why()}`);
  const endpointUrl = flags.endpointUrl ?? process.env.AWS_ENDPOINT_URL;
  return { bucket, region, cohort, ...(endpointUrl ? { endpointUrl } : {}) };
}

/**
 * Exports the target's artifacts to `dir` with a progress display on stderr, prints a summary,
 * and throws `CommandFailedError` when any run could not be exported.
 */
export async function runExport(target: ArtifactTarget, dir: string, concurrency = 4): Promise<ExportOutcome> {
  const { S3ArtifactStore } = await import("../../teardown/s3-artifact-store");
  const store = new S3ArtifactStore(target);
  const display = new ProgressDisplay(process.stderr);
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once("SIGINT", onSignal);
  let outcome: ExportOutcome;
  try {
    outcome = await exportArtifacts({
      store,
      bucket: target.bucket,
      cohort: target.cohort,
      dir,
      concurrency,
      signal: interrupt.signal,
      onProgress: (progress, fileDone) => (fileDone ? display.fileDone(progress, fileDone) : display.update(progress)),
    });
  } catch (error) {
    display.finish();
    if (interrupt.signal.aborted) {
      throw new CommandFailedError(`export interrupted; run the same command again to resume where it stopped`);
    }
    if (error instanceof ExportFolderInUseError) throw new BadInputError(error.message);
    if (error instanceof ArtifactMissingError) throw new CommandFailedError(error.message);
    const name = (error as { name?: string }).name;
    if (name === "NoSuchBucket") {
      throw new CommandFailedError(
        `bucket \`${target.bucket}\` does not exist in ${target.region}; check --bucket and --region`,
      );
    }
    throw new CommandFailedError(
      `could not read s3://${target.bucket}/cohorts/${target.cohort}/: ${(error as Error).message}; check your AWS credentials, --region and --endpoint-url`,
    );
  } finally {
    process.removeListener("SIGINT", onSignal);
    store.close();
  }
  display.finish();
  const { manifest } = outcome;
  const bytes = manifest.runs.flatMap((r) => r.files).reduce((sum, f) => sum + f.sizeBytes, 0);
  process.stdout.write(
    `exported ${manifest.counts.exported} of ${plural(manifest.counts.runs, "run")} (${plural(manifest.counts.files, "file")}, ${formatBytes(bytes)}) of cohort \`${target.cohort}\` to ${dir}` +
      `${outcome.resumedFiles > 0 ? `; ${plural(outcome.resumedFiles, "file")} already there from an earlier export` : ""}\n` +
      `manifest: ${outcome.manifestPath}\n`,
  );
  const problems = [
    ...manifest.runs.filter((r) => r.status === "failed").map((r) => r.error ?? `${r.learner}/${r.run}: failed`),
    ...manifest.unsafeKeys.map((u) => `\`${u.key}\` was not copied: ${u.reason}`),
  ];
  if (problems.length > 0) {
    process.stderr.write(`${problems.map((p) => `  ${p}`).join("\n")}\n`);
    throw new CommandFailedError(
      `${plural(problems.length, "problem")}: the manifest marks ${plural(manifest.counts.failed, "run")} failed; nothing failed is reported as exported`,
    );
  }
  return outcome;
}

export function registerExport(program: Command): void {
  const command = program
    .command("export")
    .description(
      "copy every learner's adapters and results from the artifact bucket to DIR/<learner>/<run>/, verify their sha256, and write DIR/manifest.json",
    )
    .argument("<dir>", "folder to export into (created if missing); the same folder resumes an interrupted export");
  addArtifactTargetOptions(command)
    .option("--concurrency <n>", "runs copied at once", "4")
    .addHelpText(
      "after",
      "\nExit codes: 0 every run exported and verified, 1 a run failed (corrupt or missing file) or the bucket could not be read, 2 bad input.\n\nExamples:\n  labkit export ./ft-dec26-export --cohort cohort.yaml\n  labkit export ./out --cohort cohort.yaml --bucket my-bucket --endpoint-url http://127.0.0.1:9000",
    )
    .action(async (dir: string, flags: ArtifactTargetFlags & { concurrency: string }) => {
      const concurrency = Number(flags.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
        throw new BadInputError(`--concurrency must be a whole number from 1 to 64, not \`${flags.concurrency}\``);
      }
      await runExport(await resolveArtifactTarget(flags), dir, concurrency);
    });
}
