/**
 * `labkit reset`: prepare a warm cluster for the next cohort. Deletes the learners' namespaces
 * (their labs, volumes and run Jobs go with them); keeps the cluster, `labkit-system` (controller
 * and model cache) and the gateway. Exports first, refuses while runs are active, asks first.
 */
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { loadCohort } from "../../schema/load-cohort";
import { cohortOnCluster, deleteLearnerNamespaces, planReset } from "../../teardown/reset-cluster";
import { BadInputError, CommandFailedError } from "../exit-codes";
import { plural } from "../format/table";
import { openKubeTeardownClient } from "../open-kube-client";
import { readStackOutputs, STACK_OUTPUTS, stringOutput } from "../stack-outputs";
import { type ArtifactTargetFlags, addArtifactTargetOptions, resolveArtifactTarget, runExport } from "./export";

interface ResetFlags extends ArtifactTargetFlags {
  context?: string;
  kubeconfig?: string;
  force?: boolean;
  yes?: boolean;
  export: boolean;
  exportDir?: string;
  waitMinutes: string;
}

export function registerReset(program: Command): void {
  const command = program
    .command("reset")
    .description(
      "prepare the cluster for the next cohort: export the artifacts, then delete every learner's namespace (labs, volumes, runs); the cluster, labkit-system and its model cache stay",
    )
    .option("--context <name>", "kubeconfig context of the cluster (default: the current context)")
    .option("--kubeconfig <file>", "kubeconfig file (default: KUBECONFIG or ~/.kube/config)")
    .option("--force", "reset even while runs are active (they are stopped)")
    .option("-y, --yes", "do not ask for confirmation (needed without a terminal)")
    .option("--no-export", "skip the export (the artifacts stay in the bucket)")
    .option("--export-dir <dir>", "where to export first (default: ./labkit-export-<cohort>)")
    .option("--wait-minutes <n>", "how long to wait for the namespaces to disappear", "10");
  addArtifactTargetOptions(command).addHelpText(
    "after",
    "\nExit codes: 0 reset (or nothing to reset), 1 runs still active, the export failed, or the cluster could not be changed, 2 bad input (including no terminal and no --yes).\n\nExamples:\n  labkit reset --cohort cohort.yaml --context labkit-ft-dec26\n  labkit reset --cohort cohort.yaml --no-export --yes",
  );
  command.action(async (flags: ResetFlags) => {
    const waitMinutes = Number(flags.waitMinutes);
    if (!Number.isFinite(waitMinutes) || waitMinutes < 0) {
      throw new BadInputError(`--wait-minutes must be a number of minutes, not \`${flags.waitMinutes}\``);
    }
    const cohortFile = flags.cohort ? loadCohort(flags.cohort) : undefined;
    const kube = await openKubeTeardownClient(flags);
    const [namespaces, jobs] = await clusterCall(() => Promise.all([kube.listNamespaces(), kube.listRunJobs()]));
    const cohort =
      cohortFile?.name ??
      (flags.cohort === undefined && (flags.stack || flags.stackOutputs)
        ? stringOutput(
            await readStackOutputs({ outputsFile: flags.stackOutputs, stack: flags.stack }),
            STACK_OUTPUTS.cohortName,
          )
        : undefined) ??
      cohortOnCluster(namespaces);
    if (!cohort) {
      throw new BadInputError(
        "which cohort? pass --cohort cohort.yaml (the cluster's namespaces do not name one cohort)",
      );
    }
    const plan = planReset({ cohort, namespaces, jobs, learnerIds: cohortFile?.learners.map((l) => l.id) });
    if (plan.deleteNamespaces.length === 0) {
      process.stdout.write(`nothing to reset: the cluster has no learner namespaces of cohort \`${cohort}\`\n`);
      return;
    }
    if (plan.activeRuns.length > 0) {
      const runs = plan.activeRuns.map((r) => `  ${r.namespace}/${r.job} (run ${r.runId})`).join("\n");
      if (!flags.force) {
        throw new CommandFailedError(
          `${plural(plan.activeRuns.length, "run is", "runs are")} still active; nothing was changed:\n${runs}\nwait for them to finish, or pass --force to stop them`,
        );
      }
      process.stderr.write(`--force: stopping ${plural(plan.activeRuns.length, "active run")}:\n${runs}\n`);
    }
    process.stdout.write(
      `cohort \`${cohort}\`: ${plural(plan.deleteNamespaces.length, "learner namespace")} to delete (labs, volumes, runs):\n` +
        `${plan.deleteNamespaces.map((n) => `  ${n}`).join("\n")}\n` +
        `kept: the cluster, labkit-system (controller, model cache), the gateway${plan.keptNamespaces.length > 0 ? `, ${plan.keptNamespaces.join(", ")}` : ""}\n`,
    );
    if (!flags.yes) await confirm(cohort, plan.deleteNamespaces.length);

    if (flags.export) {
      const dir = flags.exportDir ?? `labkit-export-${cohort}`;
      process.stdout.write(`exporting the artifacts to ${dir} first\n`);
      try {
        await runExport(await resolveArtifactTarget(flags, cohort), dir);
      } catch (error) {
        if (error instanceof CommandFailedError || error instanceof BadInputError) {
          const Kind = error instanceof BadInputError ? BadInputError : CommandFailedError;
          throw new Kind(
            `${error.message}\nthe export did not finish, so nothing was deleted: fix it and run reset again, or pass --no-export`,
          );
        }
        throw error;
      }
    }

    const outcome = await clusterCall(() =>
      deleteLearnerNamespaces(kube, plan, {
        timeoutMs: waitMinutes * 60_000,
        onDeleted: (name) => process.stdout.write(`deleted ${name}\n`),
      }),
    );
    if (outcome.stillTerminating.length > 0) {
      throw new CommandFailedError(
        `${plural(outcome.stillTerminating.length, "namespace")} still terminating after ${waitMinutes} minutes: ${outcome.stillTerminating.join(", ")}; check \`kubectl get namespace <name> -o yaml\` for finalizers, then run reset again`,
      );
    }
    process.stdout.write(
      `reset done: ${plural(outcome.deleted.length, "learner namespace")} deleted; the cluster is ready for the next cohort (\`pulumi up\` with its cohort.yaml)\n`,
    );
  });
}

/** Asks on the terminal for the cohort's name; anything else aborts. Without a terminal, asks for --yes. */
async function confirm(cohort: string, namespaces: number): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new BadInputError(
      "reset deletes learners' work and asks for confirmation: pass --yes to run it without a terminal",
    );
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(
      `type the cohort name (${cohort}) to delete ${plural(namespaces, "namespace")}: `,
    );
    if (answer.trim() !== cohort) throw new CommandFailedError("not confirmed; nothing was changed");
  } finally {
    prompt.close();
  }
}

/** Runs a cluster call, turning connection and API errors into a failure that says where to look. */
async function clusterCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CommandFailedError || error instanceof BadInputError) throw error;
    throw new CommandFailedError(
      `the cluster did not answer as expected: ${(error as Error).message}; check --context / --kubeconfig and your access`,
    );
  }
}
