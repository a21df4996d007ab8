/** Plan section: a summary of what `pulumi up` will create, in words. */

import { systemNodeCount } from "../../../core/cost/cohort-cost";
import { gpuPoolCapacity } from "../../../core/cost/gpu-pools";
import { labsDomainOf } from "../../../schema/cohort";
import { planSection } from "../plan-section";

export const createsSection = planSection({
  id: "creates",
  title: "What will be created",
  build: (cohort) => {
    const lines: string[] = [];
    const create = cohort.cloud.cluster.create;
    if (create) {
      lines.push(
        `VPC in ${cohort.cloud.region} across ${create.availabilityZones} availability zones, ${create.natGateways === "single" ? "one NAT gateway" : "a NAT gateway per zone"}`,
        `EKS cluster (Kubernetes ${create.kubernetesVersion}${create.privateEndpoint ? ", private endpoint" : ""}) with network policy enforcement on`,
        `System node pool: ${systemNodeCount(cohort)} × ${create.systemPool.instanceType}`,
      );
    } else {
      const existing = cohort.cloud.cluster.existing;
      lines.push(
        `No cluster: deploys into the existing cluster ${existing?.kubeconfigContext ? `at kubeconfig context \`${existing.kubeconfigContext}\`` : `of stack \`${existing?.stackReference}\``}`,
      );
    }
    for (const pool of cohort.gpuPools) {
      const cap = gpuPoolCapacity(pool);
      const stack =
        pool.sharing === "hami"
          ? "HAMi (VRAM slices)"
          : pool.sharing === "mig"
            ? `MIG ${pool.migProfile}`
            : "NVIDIA device plugin (whole GPUs)";
      lines.push(
        `GPU node pool \`${pool.name}\`: ${pool.count} × ${pool.instanceType} (${cap.totalGpus} × ${cap.product}), ${pool.capacity === "spot" ? "spot" : "on-demand"}, ${stack}`,
      );
    }
    lines.push(
      `Artifact bucket (versioned, encrypted, private; ${cohort.artifacts.onDestroy === "keep" ? "kept" : "purged"} on destroy, objects expire after ${cohort.artifacts.retentionDays || "never"} days)`,
      `Model cache with ${cohort.models.length} model(s), warmed before class`,
      `lab-controller (API, scheduler, dashboard) with its SQLite volume`,
      `${cohort.learners.length} labs: per learner a namespace, JupyterLab (${cohort.labs.cpu} CPU, ${cohort.labs.memoryGiB} GiB, ${cohort.labs.storageGiB} GiB volume), token, isolation policies`,
      cohort.domain
        ? `One load balancer with TLS (one certificate for ${cohort.domain.name} and *.${labsDomainOf(cohort.domain)}): the dashboard and API on ${cohort.domain.name}, each lab on its own host <learner>.${labsDomainOf(cohort.domain)}`
        : "One load balancer on plain HTTP port 80 (`insecure: true`): the dashboard, the API and every lab on one origin, /u/<learner>/ and /dashboard/",
    );
    if (cohort.budget)
      lines.push(`AWS Budget of $${cohort.budget.limitUsd} with alerts to ${cohort.budget.alertEmails.join(", ")}`);
    return { lines };
  },
  render: (data) => data.lines.map((l) => `- ${l}`),
});
