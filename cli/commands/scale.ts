/**
 * `labkit scale --to zero|schedule|N [--pool NAME]`: set the GPU pools' managed node groups to a
 * size now, through EKS UpdateNodegroupConfig (between sessions, after the cohort, or to follow
 * the schedule by hand).
 */
import type { Command } from "commander";
import { loadCohort } from "../../schema/load-cohort";
import { parseScaleTarget, planPoolScaling, updateNodegroupConfigInput } from "../../teardown/gpu-pool-scaling";
import { BadInputError, CommandFailedError } from "../exit-codes";
import { renderTable } from "../format/table";
import { readStackOutputs, STACK_OUTPUTS } from "../stack-outputs";

interface ScaleFlags {
  to: string;
  cohort: string;
  pool?: string;
  cluster?: string;
  region?: string;
  endpointUrl?: string;
  stack?: string;
  stackOutputs?: string;
  dryRun?: boolean;
}

export function registerScale(program: Command): void {
  program
    .command("scale")
    .description("set the GPU pools' node count now: to zero, to what the cohort's schedule says, or to N nodes")
    .requiredOption(
      "--to <zero|schedule|N>",
      "`zero`, `schedule` (the pool's count inside the schedule, else 0) or a node count",
    )
    .requiredOption("--cohort <file>", "cohort.yaml (its pools, schedule and region)")
    .option("--pool <name>", "only this GPU pool (default: every GPU pool)")
    .option("--cluster <name>", "EKS cluster name (default: the stack output `clusterName`, else labkit-<cohort>)")
    .option("--region <region>", "AWS region (default: the cohort's)")
    .option("--endpoint-url <url>", "EKS API endpoint (default: AWS_ENDPOINT_URL, else AWS)")
    .option("--stack <name>", "Pulumi stack to read outputs from (default: the selected stack)")
    .option(
      "--stack-outputs <file>",
      "read the stack's outputs from this JSON file (`pulumi stack output --json > file`)",
    )
    .option("--dry-run", "print the requests without sending them")
    .addHelpText(
      "after",
      "\nThe pools' scheduled scaling (from cohort.schedule) still runs: the next scheduled action sets its own size.\n\nExit codes: 0 done, 1 EKS refused or could not be reached, 2 bad input.\n\nExamples:\n  labkit scale --cohort cohort.yaml --to zero\n  labkit scale --cohort cohort.yaml --to schedule\n  labkit scale --cohort cohort.yaml --pool l40s --to 2 --dry-run",
    )
    .action(async (flags: ScaleFlags) => {
      // Loaded here, not at startup: every other labkit command stays quick.
      const [
        { DescribeNodegroupCommand, EKSClient, ListNodegroupsCommand, UpdateNodegroupConfigCommand },
        { clusterNameOf },
        { GPU_POOL_LABEL },
      ] = await Promise.all([
        import("@aws-sdk/client-eks"),
        import("../../infra/cost-tags"),
        import("../../infra/platform/node-groups"),
      ]);
      const target = parseScaleTarget(flags.to);
      if ("error" in target) throw new BadInputError(target.error);
      const cohort = loadCohort(flags.cohort);
      const plan = planPoolScaling(cohort, target, flags.pool);
      if ("error" in plan) throw new BadInputError(plan.error);

      const outputs =
        flags.stackOutputs || flags.stack || !flags.cluster
          ? await readStackOutputs({ outputsFile: flags.stackOutputs, stack: flags.stack })
          : undefined;
      const fromStack = outputs?.found ? outputs.outputs : {};
      const clusterName =
        flags.cluster ?? (fromStack[STACK_OUTPUTS.clusterName] as string | undefined) ?? clusterNameOf(cohort.name);
      const nodeGroupsOutput = (fromStack[STACK_OUTPUTS.gpuNodeGroups] ?? {}) as Record<string, string>;
      const endpoint = flags.endpointUrl ?? process.env.AWS_ENDPOINT_URL;
      const eks = new EKSClient({ region: flags.region ?? cohort.cloud.region, ...(endpoint ? { endpoint } : {}) });
      try {
        const nodeGroupOf = async (pool: string): Promise<string> => {
          if (nodeGroupsOutput[pool]) return nodeGroupsOutput[pool];
          // No stack outputs: find the node group by the pool label labkit puts on its nodes.
          const listed = await eks.send(new ListNodegroupsCommand({ clusterName }));
          for (const name of listed.nodegroups ?? []) {
            const described = await eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName: name }));
            if (described.nodegroup?.labels?.[GPU_POOL_LABEL] === pool) return name;
          }
          throw new CommandFailedError(
            `cluster \`${clusterName}\` has no node group labelled ${GPU_POOL_LABEL}=${pool}; check --cluster and --region`,
          );
        };
        const requests = [];
        for (const scaling of plan) {
          requests.push({
            scaling,
            input: updateNodegroupConfigInput(clusterName, await nodeGroupOf(scaling.pool), scaling),
          });
        }
        process.stdout.write(
          `${renderTable(
            ["pool", "node group", "nodes", "why"],
            requests.map((r) => [r.scaling.pool, r.input.nodegroupName ?? "", r.scaling.desiredSize, r.scaling.reason]),
          ).join("\n")}\n`,
        );
        if (flags.dryRun) {
          process.stdout.write(
            `dry run: would send EKS UpdateNodegroupConfig:\n${requests.map((r) => JSON.stringify(r.input)).join("\n")}\n`,
          );
          return;
        }
        for (const request of requests) {
          const response = await eks.send(new UpdateNodegroupConfigCommand(request.input));
          process.stdout.write(
            `${request.scaling.pool}: update ${response.update?.id ?? "(no id)"} ${response.update?.status ?? ""}\n`,
          );
        }
      } catch (error) {
        if (error instanceof CommandFailedError) throw error;
        throw new CommandFailedError(
          `EKS refused or could not be reached: ${(error as Error).message}; check your AWS credentials, --cluster and --region`,
        );
      } finally {
        eks.destroy();
      }
    });
}
