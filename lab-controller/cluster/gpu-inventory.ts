/**
 * The GPUs runs can be placed on, read from Kubernetes Nodes: which nodes are GPU nodes (the
 * labkit `gpu=on` label), how many GPUs each has (allocatable `nvidia.com/gpu`, or NVIDIA GPU
 * Feature Discovery's `nvidia.com/gpu.count`), their product and memory (GFD's
 * `nvidia.com/gpu.product` / `nvidia.com/gpu.memory` in MiB, else the catalog entry of the
 * node's instance type), and whether the node is Ready and schedulable. Pure.
 */
import type { V1Node } from "@kubernetes/client-node";
import { findInstanceType, gpuOf } from "../../catalog/aws-instances";
import { GPU_NODE_LABEL } from "../../charts/names";
import type { GpuPool } from "../../schema/cohort";

/** Node labels the inventory reads. */
export const NODE_LABELS = {
  gpuProduct: "nvidia.com/gpu.product",
  gpuMemoryMiB: "nvidia.com/gpu.memory",
  gpuCount: "nvidia.com/gpu.count",
  instanceType: "node.kubernetes.io/instance-type",
  /** EKS managed node groups label their nodes with the node group name. */
  nodeGroup: "eks.amazonaws.com/nodegroup",
  /** labkit's own label naming the GPU pool (set by infra/platform on each node group). */
  pool: "labkit.dev/gpu-pool",
  capacityType: "eks.amazonaws.com/capacityType",
} as const;

/** One physical GPU. */
export interface GpuDevice {
  /** Node name. */
  readonly node: string;
  /** Index on the node, 0-based. */
  readonly index: number;
  /** Product name, e.g. `NVIDIA L40S`. */
  readonly product: string;
  /** Memory of the GPU, MiB. */
  readonly totalMiB: number;
  /** GPU pool of cohort.yaml the node belongs to, when known. */
  readonly pool?: string;
  /** False when the node is NotReady, cordoned or being deleted: nothing new is placed there. */
  readonly schedulable: boolean;
  /** True on spot capacity (a run there may be interrupted). */
  readonly spot: boolean;
}

/** The GPUs of a set of nodes; nodes without the GPU label are skipped. */
export function gpuInventoryFromNodes(nodes: readonly V1Node[], pools: readonly GpuPool[] = []): GpuDevice[] {
  const devices: GpuDevice[] = [];
  const sorted = [...nodes].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  for (const node of sorted) {
    const labels = node.metadata?.labels ?? {};
    if (labels[GPU_NODE_LABEL.key] !== GPU_NODE_LABEL.value) continue;
    const name = node.metadata?.name ?? "";
    const instanceType = labels[NODE_LABELS.instanceType];
    const catalogGpu = instanceType ? gpuOf(instanceType) : undefined;
    const pool =
      pools.find((p) => p.name === labels[NODE_LABELS.pool]) ??
      pools.find((p) => labels[NODE_LABELS.nodeGroup]?.includes(p.name)) ??
      pools.find((p) => p.instanceType === instanceType);
    const count = gpuCount(node, instanceType);
    const memoryLabel = Number(labels[NODE_LABELS.gpuMemoryMiB]);
    const totalMiB = Number.isFinite(memoryLabel) && memoryLabel > 0 ? memoryLabel : (catalogGpu?.memoryMiB ?? 0);
    if (count === 0 || totalMiB === 0) continue;
    const product = labels[NODE_LABELS.gpuProduct]?.replace(/-/g, " ") ?? catalogGpu?.product ?? "unknown GPU";
    const ready = node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
    const schedulable = ready && !node.spec?.unschedulable && !node.metadata?.deletionTimestamp;
    const spot = labels[NODE_LABELS.capacityType] === "SPOT" || pool?.capacity === "spot";
    for (let index = 0; index < count; index++) {
      devices.push({ node: name, index, product, totalMiB, pool: pool?.name, schedulable, spot });
    }
  }
  return devices;
}

/**
 * GPUs on a node. HAMi advertises `nvidia.com/gpu` as physical GPUs × its split count, so the
 * physical count comes from GFD's label or the instance type first, allocatable last.
 */
function gpuCount(node: V1Node, instanceType: string | undefined): number {
  const label = Number(node.metadata?.labels?.[NODE_LABELS.gpuCount]);
  if (Number.isInteger(label) && label > 0) return label;
  const fromCatalog = instanceType ? findInstanceType(instanceType)?.gpuCount : undefined;
  if (fromCatalog) return fromCatalog;
  const allocatable = Number(node.status?.allocatable?.["nvidia.com/gpu"] ?? 0);
  return Number.isFinite(allocatable) ? allocatable : 0;
}

/** Binary and decimal suffixes of Kubernetes memory quantities, in bytes. */
const QUANTITY_SUFFIX_BYTES: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A Kubernetes memory quantity (`30591144Ki`, `29Gi`, `32000000000`) in MiB; undefined when it is not one. */
export function quantityMiB(quantity: string | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity ?? "");
  if (!match) return undefined;
  return (Number(match[1]) * QUANTITY_SUFFIX_BYTES[match[2] ?? ""]) / 1024 ** 2;
}

/**
 * A node's allocatable memory, MiB: the kubelet's `status.allocatable.memory`, or, for a node not
 * yet reported, 90% of its instance type's memory (EKS reserves memory for the kubelet and the
 * eviction threshold, and the kernel keeps some of the nominal size).
 */
export function nodeAllocatableMemoryMiB(node: V1Node | undefined, instanceType?: string): number | undefined {
  const reported = quantityMiB(node?.status?.allocatable?.memory);
  if (reported !== undefined) return reported;
  const type = findInstanceType(instanceType ?? node?.metadata?.labels?.[NODE_LABELS.instanceType] ?? "");
  return type ? type.memoryGiB * 1024 * 0.9 : undefined;
}
