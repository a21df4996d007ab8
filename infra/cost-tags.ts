/**
 * The tag set every labkit cloud resource carries, so AWS Cost Explorer and budgets can split
 * the bill by cohort. Activate `labkit:cohort` as a cost-allocation tag once per AWS account.
 */
import type { Cohort } from "../schema/cohort";

/** The tag AWS Budgets and Cost Explorer filter a cohort's spend by. */
export const COST_ALLOCATION_TAG = "labkit:cohort";

/** Tags on every AWS resource of a cohort (`labkit:cohort`, `labkit:managed-by`, `labkit:region`). */
export function cohortTags(cohort: Pick<Cohort, "name" | "cloud">): Record<string, string> {
  return {
    "labkit:cohort": cohort.name,
    "labkit:managed-by": "labkit",
    "labkit:region": cohort.cloud.region,
  };
}

/** The EKS cluster name of a cohort that creates its cluster: `labkit-<cohort name>` (≤ 47 characters). */
export function clusterNameOf(cohortName: string): string {
  return `labkit-${cohortName}`;
}
