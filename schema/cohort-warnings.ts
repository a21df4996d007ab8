/**
 * What is allowed in cohort.yaml but worth a person's attention before `pulumi up`: a cohort
 * without a domain (`insecure: true`: one origin, plain HTTP), a Kubernetes
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

/** What `insecure: true` gives up, in the words `labkit validate` and `labkit plan` print. */
export const INSECURE_WARNING =
  "no domain (`insecure: true`): every learner's lab shares one origin with the dashboard and the API, so a learner's notebook page can call the API as the instructor who opens that lab; and everything travels over plain HTTP on port 80, so learners' and instructors' tokens and cookies cross the network in clear text. Add `domain` for a cohort with real learners";

/** The cohort's warnings, in file order. */
export function cohortWarnings(
  cohort: Pick<Cohort, "cloud" | "schedule"> & Partial<Pick<Cohort, "domain" | "insecure">>,
): CohortWarning[] {
  return [...clusterWarnings(cohort), ...originWarnings(cohort)];
}

/** The Kubernetes version's support window and repeated access roles of a new cluster. */
function clusterWarnings(cohort: Pick<Cohort, "cloud" | "schedule">): CohortWarning[] {
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

/** A cohort without a domain (one origin, plain HTTP), or an `insecure` that a domain makes moot. */
function originWarnings(cohort: Partial<Pick<Cohort, "domain" | "insecure">>): CohortWarning[] {
  if (cohort.insecure !== true) return [];
  if (cohort.domain === undefined) return [{ path: "insecure", message: INSECURE_WARNING }];
  return [
    {
      path: "insecure",
      message: `\`insecure: true\` changes nothing with a domain: ${cohort.domain.name} is served with TLS and every lab on its own host; remove it`,
    },
  ];
}
