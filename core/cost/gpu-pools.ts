/**
 * What a GPU pool amounts to: how many GPUs, how much memory each, and the schedulable slots
 * (whole GPUs, or MIG slices). Used by `labkit plan`, the scheduler simulation and infra/.
 */

import { findInstanceType, gpuOf } from "../../catalog/aws-instances";
import type { GpuPool } from "../../schema/cohort";

export interface GpuPoolCapacity {
  readonly pool: string;
  readonly instanceType: string;
  readonly product: string;
  readonly nodes: number;
  readonly gpusPerNode: number;
  readonly totalGpus: number;
  /** Memory of one GPU, MiB. */
  readonly gpuMemoryMiB: number;
  /** Memory of one schedulable slot, MiB: the GPU, or its MIG profile. */
  readonly slotMemoryMiB: number;
  /** Slots per GPU: 1, or the MIG profile's count. */
  readonly slotsPerGpu: number;
  /** Memory runs can be given across the pool, MiB. */
  readonly totalVramMiB: number;
}

/** Capacity of one pool. Assumes the cohort was validated (known GPU instance type, valid MIG profile). */
export function gpuPoolCapacity(pool: GpuPool): GpuPoolCapacity {
  const type = findInstanceType(pool.instanceType);
  const gpu = gpuOf(pool.instanceType);
  if (!type || !gpu) throw new Error(`${pool.instanceType} is not a GPU instance type labkit knows`);
  const profile = pool.sharing === "mig" ? gpu.migProfiles.find((p) => p.name === pool.migProfile) : undefined;
  const slotsPerGpu = profile ? profile.perGpu : 1;
  const slotMemoryMiB = profile ? profile.memoryMiB : gpu.memoryMiB;
  const totalGpus = type.gpuCount * pool.count;
  return {
    pool: pool.name,
    instanceType: pool.instanceType,
    product: gpu.product,
    nodes: pool.count,
    gpusPerNode: type.gpuCount,
    totalGpus,
    gpuMemoryMiB: gpu.memoryMiB,
    slotMemoryMiB,
    slotsPerGpu,
    totalVramMiB: totalGpus * slotsPerGpu * slotMemoryMiB,
  };
}
