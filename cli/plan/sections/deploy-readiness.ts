/**
 * Plan section: what the AWS account must allow before `pulumi up`: the EC2 vCPU quotas the
 * pools need at their maximum size (and during a rolling update), and the Kubernetes version's
 * support window and control-plane price over the cohort's dates. `labkit preflight` checks the
 * same figures against the account.
 */
import { quotaIncreaseCommand, vcpuNeeds } from "../../../catalog/ec2-vcpu-quotas";
import { eksVersionSupport } from "../../../catalog/eks-versions";
import { cohortQuotaPools } from "../../../core/cost/quota-pools";
import { cohortWarnings } from "../../../schema/cohort-warnings";
import { renderTable } from "../../format/table";
import { planSection } from "../plan-section";

export const deployReadinessSection = planSection({
  id: "deployReadiness",
  title: "AWS account needs",
  build: (cohort) => {
    const create = cohort.cloud.cluster.create;
    const version = create?.kubernetesVersion;
    return {
      region: cohort.cloud.region,
      vcpuQuotas: vcpuNeeds(cohortQuotaPools(cohort)).map((need) => ({
        quotaCode: need.quota.code,
        quotaName: need.quota.name,
        vcpus: need.vcpus,
        vcpusDuringUpdate: need.vcpusDuringUpdate,
        pools: need.pools,
        requestCommand: quotaIncreaseCommand(need.quota, cohort.cloud.region, need.vcpusDuringUpdate),
      })),
      kubernetes: version
        ? {
            version,
            atStart: eksVersionSupport(version, cohort.schedule.start),
            atEnd: eksVersionSupport(version, cohort.schedule.end),
          }
        : undefined,
      warnings: cohortWarnings(cohort),
    };
  },
  render: (data) => [
    `EC2 vCPU quotas in ${data.region} (new accounts often have 0 for G and P instances; \`labkit preflight\` compares them with yours):`,
    ...renderTable(
      ["quota", "code", "pools", "vCPUs", "during an update"],
      data.vcpuQuotas.map((q) => [q.quotaName, q.quotaCode, q.pools.join(", "), q.vcpus, q.vcpusDuringUpdate]),
    ),
    ...data.vcpuQuotas.map((q) => `  to ask for ${q.quotaCode}: ${q.requestCommand}`),
    ...(data.kubernetes
      ? [
          `Kubernetes ${data.kubernetes.version} on EKS: ${data.kubernetes.atStart.status} support at the start ($${data.kubernetes.atStart.controlPlaneUsdPerHour.toFixed(2)}/h), ${data.kubernetes.atEnd.status} support at the end ($${data.kubernetes.atEnd.controlPlaneUsdPerHour.toFixed(2)}/h); standard support ends ${data.kubernetes.atStart.endOfStandardSupport ?? "?"}.`,
        ]
      : []),
    ...data.warnings.map((w) => `warning: ${w.path}: ${w.message}`),
  ],
});
