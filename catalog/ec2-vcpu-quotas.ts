/**
 * EC2's vCPU service quotas: a region's running instances are limited per instance family group
 * and purchase option, counted in vCPUs, and new accounts start low (often 0 for G and P). Pure
 * facts and arithmetic; `labkit plan` shows what a cohort needs and `labkit preflight` compares it
 * with the account's applied quota.
 *
 * Quota codes: Service Quotas console / `aws service-quotas list-service-quotas --service-code ec2`,
 * and https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html
 * (pinned by tests/contracts/ec2-vcpu-quotas.test.ts).
 */
import { findInstanceType } from "./aws-instances";

/** The Service Quotas service code of EC2. */
export const EC2_SERVICE_CODE = "ec2";

/** One vCPU quota of EC2. */
export interface Ec2VcpuQuota {
  /** Service Quotas quota code, e.g. `L-DB2E81BA`. */
  readonly code: string;
  /** The quota's name as the Service Quotas console shows it. */
  readonly name: string;
  /** Instance family group it limits. */
  readonly group: "standard" | "g-vt" | "p";
  readonly capacity: "onDemand" | "spot";
}

/** The vCPU quotas labkit's instance types fall under. */
export const EC2_VCPU_QUOTAS: readonly Ec2VcpuQuota[] = [
  {
    code: "L-1216C47A",
    name: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
    group: "standard",
    capacity: "onDemand",
  },
  { code: "L-DB2E81BA", name: "Running On-Demand G and VT instances", group: "g-vt", capacity: "onDemand" },
  { code: "L-417A185B", name: "Running On-Demand P instances", group: "p", capacity: "onDemand" },
  {
    code: "L-34B43A08",
    name: "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
    group: "standard",
    capacity: "spot",
  },
  { code: "L-3819A6DF", name: "All G and VT Spot Instance Requests", group: "g-vt", capacity: "spot" },
  { code: "L-7212CCBC", name: "All P Spot Instance Requests", group: "p", capacity: "spot" },
];

/** The family group of an instance type (`g6e.xlarge` → `g-vt`), from its family letters. */
export function instanceFamilyGroup(instanceType: string): Ec2VcpuQuota["group"] | undefined {
  const family = instanceType.split(".")[0] ?? "";
  if (/^(g|vt)\d/.test(family)) return "g-vt";
  if (/^p\d/.test(family)) return "p";
  if (/^[acdhimrtz]\d/.test(family)) return "standard";
  return undefined;
}

/** The quota that limits `instanceType` bought as `capacity`; undefined for families labkit does not map. */
export function vcpuQuotaFor(instanceType: string, capacity: "onDemand" | "spot"): Ec2VcpuQuota | undefined {
  const group = instanceFamilyGroup(instanceType);
  return EC2_VCPU_QUOTAS.find((q) => q.group === group && q.capacity === capacity);
}

/** A node pool as the quotas see it: how many instances of a type may run at once. */
export interface QuotaPool {
  /** `system` or the GPU pool's name. */
  readonly name: string;
  readonly instanceType: string;
  readonly capacity: "onDemand" | "spot";
  /** The pool's maximum size, nodes. */
  readonly maxNodes: number;
}

/** What a cohort needs of one quota. */
export interface VcpuNeed {
  readonly quota: Ec2VcpuQuota;
  /** vCPUs the pools under this quota use at their maximum size. */
  readonly vcpus: number;
  /** vCPUs including one extra node per pool, which a managed node group's rolling update adds while it replaces nodes. */
  readonly vcpusDuringUpdate: number;
  readonly pools: readonly string[];
}

/**
 * The vCPUs each quota must allow for the pools (pure). A managed node group updates by
 * launching new nodes before it drains old ones, so `vcpusDuringUpdate` adds one node per pool
 * (EKS "Managed node update behavior": the surge is up to the larger of twice the AZ count or
 * maxUnavailable, but never above the group's new maximum, which EKS raises by the same amount).
 */
export function vcpuNeeds(pools: readonly QuotaPool[]): VcpuNeed[] {
  const needs = new Map<string, { quota: Ec2VcpuQuota; vcpus: number; surge: number; pools: string[] }>();
  for (const pool of pools) {
    const type = findInstanceType(pool.instanceType);
    const quota = vcpuQuotaFor(pool.instanceType, pool.capacity);
    if (!type || !quota) throw new Error(`no vCPU quota is known for ${pool.instanceType} (${pool.capacity})`);
    const need = needs.get(quota.code) ?? { quota, vcpus: 0, surge: 0, pools: [] };
    need.vcpus += type.vcpus * pool.maxNodes;
    need.surge += type.vcpus;
    need.pools.push(pool.name);
    needs.set(quota.code, need);
  }
  return [...needs.values()].map((n) => ({
    quota: n.quota,
    vcpus: n.vcpus,
    vcpusDuringUpdate: n.vcpus + n.surge,
    pools: n.pools,
  }));
}

/** The AWS CLI command that asks for a quota increase to `vcpus`, for messages. */
export function quotaIncreaseCommand(quota: Ec2VcpuQuota, region: string, vcpus: number): string {
  return `aws service-quotas request-service-quota-increase --region ${region} --service-code ${EC2_SERVICE_CODE} --quota-code ${quota.code} --desired-value ${vcpus}`;
}
