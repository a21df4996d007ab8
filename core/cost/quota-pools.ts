/**
 * The cohort's node pools as EC2's vCPU quotas see them (pure): the system pool of a new cluster
 * and every GPU pool, at their maximum size. `vcpuNeeds` (catalog/ec2-vcpu-quotas.ts) turns them
 * into what each quota must allow.
 */
import type { QuotaPool } from "../../catalog/ec2-vcpu-quotas";
import type { Cohort } from "../../schema/cohort";
import { systemNodeCount } from "./cohort-cost";

/** The cohort's node pools as the quotas see them: the system pool (new clusters only) and every GPU pool. */
export function cohortQuotaPools(cohort: Pick<Cohort, "cloud" | "labs" | "learners" | "gpuPools">): QuotaPool[] {
  const pools: QuotaPool[] = [];
  const create = cohort.cloud.cluster.create;
  if (create) {
    pools.push({
      name: "system",
      instanceType: create.systemPool.instanceType,
      capacity: "onDemand",
      maxNodes: systemNodeCount(cohort),
    });
  }
  for (const pool of cohort.gpuPools) {
    pools.push({ name: pool.name, instanceType: pool.instanceType, capacity: pool.capacity, maxNodes: pool.count });
  }
  return pools;
}
