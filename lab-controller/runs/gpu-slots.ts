/**
 * The cohort's GPUs as the scheduler sees them: the devices on the cluster's Nodes with every
 * active run's grant on them, or, before any GPU node is up (pools scaled to zero), the slots the
 * cohort's pools declare.
 */
import { gpuOf } from "../../catalog/aws-instances";
import type { GpuState } from "../../core/scheduler";
import type { Cohort, GpuPool } from "../../schema/cohort";
import { type GpuDevice, gpuInventoryFromNodes } from "../cluster/gpu-inventory";
import type { ClusterPort } from "../cluster/kube-cluster";
import type { Run } from "./run";

/** Reads the cohort's GPU slots from the cluster's cached Nodes. */
export class GpuSlots {
  constructor(
    private readonly cluster: ClusterPort,
    private readonly cohort: Cohort,
  ) {}

  /** The GPUs on the cluster's Nodes now. */
  devices(): GpuDevice[] {
    return gpuInventoryFromNodes(this.cluster.nodes(), this.cohort.gpuPools);
  }

  /** The GPUs with what runs on them (an unschedulable GPU has no free memory). */
  states(active: readonly Run[]): GpuState[] {
    return this.devices().map((device) => ({
      node: device.node,
      index: device.index,
      product: device.product,
      totalMiB: device.schedulable ? device.totalMiB : 0,
      ...sharingOf(this.poolOf(device)),
      allocations: active
        .filter((r) => r.placement?.node === device.node && r.placement.gpuIndex === device.index)
        .map((r) => ({
          runId: r.id,
          learnerId: r.learnerId,
          grantedMiB: r.grantedMiB ?? r.estimate.totalMiB,
          requestMiB: r.estimate.totalMiB,
        })),
    }));
  }

  /** The pool a device belongs to; the cohort's first pool when its label names none of them. */
  poolOf(device: GpuDevice): GpuPool {
    return this.cohort.gpuPools.find((p) => p.name === device.pool) ?? this.cohort.gpuPools[0];
  }

  /** GPU slots as the cohort declares them, for estimates before any GPU node is up. */
  declaredStates(): GpuState[] {
    return this.cohort.gpuPools.map((pool, i) => ({
      node: `pool-${pool.name}`,
      index: i,
      product: pool.instanceType,
      totalMiB: gpuOf(pool.instanceType)?.memoryMiB ?? 0,
      ...sharingOf(pool),
      allocations: [],
    }));
  }

  /** The largest slot any declared pool offers, MiB (a MIG profile, else a whole GPU); 0 without pools. */
  largestDeclaredSlotMiB(): number {
    return Math.max(
      0,
      ...this.cohort.gpuPools.map((pool) => sharingOf(pool).migProfileMiB ?? gpuOf(pool.instanceType)?.memoryMiB ?? 0),
    );
  }
}

/** The scheduler's sharing fields for a pool. */
export function sharingOf(pool: GpuPool): Pick<GpuState, "mode" | "migProfileMiB" | "migSlots"> {
  if (pool.sharing !== "mig") return { mode: pool.sharing };
  const profile = gpuOf(pool.instanceType)?.migProfiles.find((p) => p.name === pool.migProfile);
  return { mode: "mig", migProfileMiB: profile?.memoryMiB, migSlots: profile?.perGpu };
}
