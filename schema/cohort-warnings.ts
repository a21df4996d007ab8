/**
 * What is allowed in cohort.yaml but worth a person's attention before `pulumi up`: a Kubernetes
 * version that leaves EKS standard support during the cohort (the control plane then costs 6×),
 * and an IAM role listed more than once for cluster access (labkit enters it once). Pure;
 * `labkit validate` and `labkit plan` print them.
 */
import { versionFindings } from "../catalog/eks-versions";
import type { Cohort } from "./cohort";

/** One warning, with the YAML path it is about. */
export interface CohortWarning {
  readonly path: string;
  readonly message: string;
}

/** The cohort's warnings, in file order. */
export function cohortWarnings(cohort: Pick<Cohort, "cloud" | "schedule">): CohortWarning[] {
  const warnings: CohortWarning[] = [];
  const create = cohort.cloud.cluster.create;
  if (!create) return warnings;
  for (const finding of versionFindings(create.kubernetesVersion, cohort.schedule.start, cohort.schedule.end)) {
    if (finding.severity === "warning") {
      warnings.push({ path: "cloud.cluster.create.kubernetesVersion", message: finding.message });
    }
  }
  const seen = new Map<string, string>();
  const lists = [
    ["platformRoles", create.access.platformRoles],
    ["instructorRoles", create.access.instructorRoles],
  ] as const;
  for (const [list, roles] of lists) {
    roles.forEach((arn, index) => {
      const path = `cloud.cluster.create.access.${list}[${index}]`;
      const first = seen.get(arn);
      if (first) {
        warnings.push({
          path,
          message: `${arn} is already listed at ${first}: EKS allows one access entry per principal, so labkit enters it once${list === "instructorRoles" && first.includes("platformRoles") ? ", with the platform team's admin policy" : ""}; remove the repeat`,
        });
      } else {
        seen.set(arn, path);
      }
    });
  }
  return warnings;
}
