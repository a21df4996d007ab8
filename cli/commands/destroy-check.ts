/**
 * `labkit destroy-check`: before `pulumi destroy`, list what it would leave behind (load
 * balancers, volumes, network interfaces) from the cluster and the stack, and whether the
 * dependency graph already deletes each thing first. Exits 1 when something would be orphaned.
 */
import type { Command } from "commander";
import { loadCohort } from "../../schema/load-cohort";
import type { KubeTeardownClient } from "../../teardown/kube-teardown-client";
import { checkOrphans, type Finding, type NetworkInterfaceCheck } from "../../teardown/orphan-check";
import { CommandFailedError } from "../exit-codes";
import { plural } from "../format/table";
import { openKubeTeardownClient } from "../open-kube-client";
import { readStackOutputs, STACK_OUTPUTS, stringOutput } from "../stack-outputs";
import { readStackResources } from "../stack-state";

interface DestroyCheckFlags {
  cohort?: string;
  context?: string;
  kubeconfig?: string;
  stack?: string;
  stackOutputs?: string;
  stackExport?: string;
  region?: string;
  endpointUrl?: string;
  json?: boolean;
}

const MARK: Record<Finding["outcome"], string> = {
  orphaned: "ORPHANED",
  "not-checked": "NOT CHECKED",
  kept: "kept",
  "deleted-first": "ok",
};

export function registerDestroyCheck(program: Command): void {
  program
    .command("destroy-check")
    .description(
      "before `pulumi destroy`: list the load balancers, volumes and network interfaces it would leave behind, from the cluster and the stack",
    )
    .option("--cohort <file>", "cohort.yaml (what happens to the bucket, the region)")
    .option("--context <name>", "kubeconfig context of the cluster (default: the current context)")
    .option("--kubeconfig <file>", "kubeconfig file (default: KUBECONFIG or ~/.kube/config)")
    .option("--stack <name>", "Pulumi stack (default: the selected stack)")
    .option("--stack-outputs <file>", "the stack's outputs as JSON (`pulumi stack output --json > file`)")
    .option("--stack-export <file>", "the stack's state as JSON (`pulumi stack export > file`)")
    .option("--region <region>", "AWS region for the network-interface check (default: the cohort's or the stack's)")
    .option("--endpoint-url <url>", "EC2 API endpoint (default: AWS_ENDPOINT_URL, else AWS)")
    .option("--json", "print the findings as JSON")
    .addHelpText(
      "after",
      "\nExit codes: 0 nothing would be orphaned, 1 something would (or the cluster could not be read), 2 bad input.\n\nExample:\n  labkit destroy-check --cohort cohort.yaml && pulumi destroy",
    )
    .action(async (flags: DestroyCheckFlags) => {
      const cohort = flags.cohort ? loadCohort(flags.cohort) : undefined;
      const kube = await openKubeTeardownClient(flags);
      const [outputs, stack] = await Promise.all([
        readStackOutputs({ outputsFile: flags.stackOutputs, stack: flags.stack }),
        readStackResources({ exportFile: flags.stackExport, stack: flags.stack }),
      ]);
      let services: Awaited<ReturnType<KubeTeardownClient["listLoadBalancerServices"]>>;
      let volumes: Awaited<ReturnType<KubeTeardownClient["listClaimedVolumes"]>>;
      try {
        [services, volumes] = await Promise.all([kube.listLoadBalancerServices(), kube.listClaimedVolumes()]);
      } catch (error) {
        throw new CommandFailedError(
          `the cluster could not be read: ${(error as Error).message}; check --context / --kubeconfig (a cluster already gone has nothing left to orphan in it)`,
        );
      }
      const region = flags.region ?? cohort?.cloud.region ?? stringOutput(outputs, STACK_OUTPUTS.region);
      const networkInterfaces = await listNetworkInterfaces(
        stringOutput(outputs, STACK_OUTPUTS.vpcId),
        region,
        flags.endpointUrl ?? process.env.AWS_ENDPOINT_URL,
        outputs.found ? undefined : outputs.reason,
      );
      const bucketName = stringOutput(outputs, STACK_OUTPUTS.artifactBucket);
      const onDestroy =
        cohort?.artifacts.onDestroy ??
        (stringOutput(outputs, STACK_OUTPUTS.artifactsOnDestroy) === "purge" ? "purge" : "keep");
      const findings = checkOrphans({
        services,
        volumes,
        stack: stack.found ? stack.resources : undefined,
        networkInterfaces,
        ...(bucketName ? { bucket: { name: bucketName, onDestroy } } : {}),
      });
      const orphans = findings.filter((f) => f.outcome === "orphaned").length;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ orphans, findings }, null, 2)}\n`);
      } else {
        const lines = findings.map(
          (f) =>
            `${MARK[f.outcome].padEnd(11)}  ${f.kind}: ${f.subject}\n             ${f.detail}${f.fix ? `\n             fix: ${f.fix}` : ""}`,
        );
        if (!stack.found) lines.unshift(`NOT CHECKED  stack: ${stack.reason}; pass --stack-export FILE`);
        process.stdout.write(`${lines.join("\n")}\n`);
      }
      if (orphans > 0) {
        throw new CommandFailedError(
          `pulumi destroy would leave ${plural(orphans, "thing")} behind; apply the fixes above, then run destroy-check again`,
        );
      }
      if (!flags.json) process.stdout.write("nothing would be orphaned by pulumi destroy\n");
    });
}

/**
 * The VPC's network interfaces through EC2, or why they could not be listed (no VPC id, no
 * credentials, no access); never a guess.
 */
async function listNetworkInterfaces(
  vpcId: string | undefined,
  region: string | undefined,
  endpoint: string | undefined,
  outputsProblem: string | undefined,
): Promise<NetworkInterfaceCheck> {
  if (!vpcId) {
    return {
      checked: false,
      reason: `the stack output \`${STACK_OUTPUTS.vpcId}\` is unknown${outputsProblem ? ` (${outputsProblem})` : ""}; pass --stack-outputs FILE`,
    };
  }
  if (!region) return { checked: false, reason: "no AWS region: pass --region or --cohort" };
  const { DescribeNetworkInterfacesCommand, EC2Client } = await import("@aws-sdk/client-ec2");
  const ec2 = new EC2Client({ region, ...(endpoint ? { endpoint } : {}) });
  try {
    const interfaces: Array<{ id: string; status: string; description: string }> = [];
    let NextToken: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }], NextToken }),
      );
      for (const eni of page.NetworkInterfaces ?? []) {
        interfaces.push({
          id: eni.NetworkInterfaceId ?? "",
          status: eni.Status ?? "unknown",
          description: eni.Description ?? "",
        });
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return { checked: true, interfaces };
  } catch (error) {
    const name = (error as { name?: string }).name ?? "";
    const reason =
      name === "CredentialsProviderError"
        ? "no AWS credentials were found"
        : `EC2 DescribeNetworkInterfaces failed: ${(error as Error).message}`;
    return { checked: false, reason };
  } finally {
    ec2.destroy();
  }
}
