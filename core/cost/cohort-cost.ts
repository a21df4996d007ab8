/**
 * What a cohort costs: hours from its schedule, node counts from its roster and pools, prices
 * from the price table. Pure functions over a `Cohort`; `labkit plan`, the budget alarms and the
 * dashboard's "cost so far" all use them.
 */

import { findInstanceType, gpuOf, PLATFORM_PRICES, SPOT_PRICE_FRACTION } from "../../catalog/aws-instances";
import { controlPlaneCost, EKS_CONTROL_PLANE_PRICES } from "../../catalog/eks-versions";
import type { Cohort, GpuPool, Schedule } from "../../schema/cohort";

/** Hours the cluster exists and hours the GPU pools run, for a schedule. */
export interface ScheduleHours {
  /** From start to end. */
  readonly clusterHours: number;
  /** Inside the daily window (or start to end when there is none). */
  readonly gpuHours: number;
  /** Calendar days the cohort touches. */
  readonly days: number;
}

const HOUR_MS = 3_600_000;

/** Local date-time text → milliseconds on a naive clock (time-zone offsets cancel out in durations). */
function localMs(text: string): number {
  return Date.parse(`${text.length === 16 ? `${text}:00` : text}Z`);
}

/** Hours of a schedule; the daily window is intersected with [start, end] day by day. */
export function scheduleHours(schedule: Schedule): ScheduleHours {
  const start = localMs(schedule.start);
  const end = localMs(schedule.end);
  const clusterHours = Math.max(0, (end - start) / HOUR_MS);
  const firstDay = Date.parse(`${schedule.start.slice(0, 10)}T00:00:00Z`);
  const lastDay = Date.parse(`${schedule.end.slice(0, 10)}T00:00:00Z`);
  const days = Math.round((lastDay - firstDay) / (24 * HOUR_MS)) + 1;
  const window = schedule.dailyWindow;
  if (!window) return { clusterHours, gpuHours: clusterHours, days };
  const [fromH, fromM] = window.from.split(":").map(Number);
  const [toH, toM] = window.to.split(":").map(Number);
  let gpuMs = 0;
  for (let day = firstDay; day <= lastDay; day += 24 * HOUR_MS) {
    const open = Math.max(start, day + (fromH * 60 + fromM) * 60_000);
    const close = Math.min(end, day + (toH * 60 + toM) * 60_000);
    gpuMs += Math.max(0, close - open);
  }
  return { clusterHours, gpuHours: gpuMs / HOUR_MS, days };
}

/** Price of one node of a GPU pool, USD per hour: the override, or the table (spot at a typical discount). */
export function poolNodeUsdPerHour(pool: GpuPool): number {
  if (pool.priceUsdPerHour !== undefined) return pool.priceUsdPerHour;
  const type = findInstanceType(pool.instanceType);
  if (!type) throw new Error(`no price for ${pool.instanceType}`);
  return pool.capacity === "spot" ? type.onDemandUsdPerHour * SPOT_PRICE_FRACTION : type.onDemandUsdPerHour;
}

/** Pods every system node pool carries besides the labs (controller, gateway, CoreDNS, HAMi scheduler...). */
export const SYSTEM_OVERHEAD = { cpu: 4, memoryGiB: 8 } as const;

/**
 * System (CPU) nodes needed for every learner's lab plus the platform pods, keeping 10% of each
 * node for the kubelet and daemon sets. At least 2, so losing a node never stops every lab.
 */
export function systemNodeCount(cohort: Pick<Cohort, "cloud" | "labs" | "learners">): number {
  const create = cohort.cloud.cluster.create;
  if (!create) return 0;
  if (create.systemPool.count !== undefined) return create.systemPool.count;
  const type = findInstanceType(create.systemPool.instanceType);
  if (!type) throw new Error(`unknown system instance type ${create.systemPool.instanceType}`);
  const cpu = cohort.learners.length * cohort.labs.cpu + SYSTEM_OVERHEAD.cpu;
  const memory = cohort.learners.length * cohort.labs.memoryGiB + SYSTEM_OVERHEAD.memoryGiB;
  const byCpu = cpu / (type.vcpus * 0.9);
  const byMemory = memory / (type.memoryGiB * 0.9);
  return Math.max(2, Math.ceil(Math.max(byCpu, byMemory)));
}

export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  readonly unitUsdPerHour: number;
  readonly hours: number;
  readonly usd: number;
}

export interface CostEstimate {
  readonly lines: readonly CostLine[];
  /** Everything running at once, USD per hour (GPU pools up). */
  readonly peakUsdPerHour: number;
  readonly totalUsd: number;
  readonly perLearnerUsd: number;
  readonly hours: ScheduleHours;
  /** True when spot prices were assumed. */
  readonly assumesSpot: boolean;
}

/** Cost of a whole cohort from its schedule; storage is billed by the month, prorated. */
export function estimateCohortCost(cohort: Cohort): CostEstimate {
  const hours = scheduleHours(cohort.schedule);
  const lines: CostLine[] = [];
  const line = (item: string, quantity: number, unitUsdPerHour: number, h: number) => {
    lines.push({ item, quantity, unitUsdPerHour, hours: h, usd: quantity * unitUsdPerHour * h });
  };
  for (const pool of cohort.gpuPools) {
    const gpu = gpuOf(pool.instanceType);
    line(
      `GPU pool ${pool.name}: ${pool.instanceType}${gpu ? ` (${gpu.product})` : ""}, ${pool.capacity === "spot" ? "spot" : "on-demand"}`,
      pool.count,
      poolNodeUsdPerHour(pool),
      hours.gpuHours,
    );
  }
  const create = cohort.cloud.cluster.create;
  if (create) {
    const systemType = findInstanceType(create.systemPool.instanceType);
    if (systemType) {
      line(
        `System pool: ${systemType.name}`,
        systemNodeCount(cohort),
        systemType.onDemandUsdPerHour,
        hours.clusterHours,
      );
    }
    // The control plane's price follows the version's support window (extended support: 6×).
    const plane = controlPlaneCost(
      create.kubernetesVersion,
      localMs(cohort.schedule.start),
      localMs(cohort.schedule.end),
    );
    if (plane.standardHours > 0) {
      line(
        `EKS control plane (Kubernetes ${create.kubernetesVersion}, standard support)`,
        1,
        EKS_CONTROL_PLANE_PRICES.standardUsdPerHour,
        plane.standardHours,
      );
    }
    if (plane.extendedHours > 0) {
      line(
        `EKS control plane (Kubernetes ${create.kubernetesVersion}, extended support)`,
        1,
        EKS_CONTROL_PLANE_PRICES.extendedUsdPerHour,
        plane.extendedHours,
      );
    }
    line(
      "NAT gateway",
      create.natGateways === "single" ? 1 : create.availabilityZones,
      PLATFORM_PRICES.natGatewayUsdPerHour,
      hours.clusterHours,
    );
  }
  line("Load balancer (one for the cohort)", 1, PLATFORM_PRICES.networkLoadBalancerUsdPerHour, hours.clusterHours);
  const hoursPerMonth = 730;
  line(
    `Lab volumes: ${cohort.learners.length} × ${cohort.labs.storageGiB} GiB gp3`,
    cohort.learners.length * cohort.labs.storageGiB,
    PLATFORM_PRICES.ebsGp3UsdPerGiBMonth / hoursPerMonth,
    hours.clusterHours,
  );
  // The two control-plane lines (standard, then extended support) never run at the same time: the peak counts the dearer.
  const planeLines = lines.filter((l) => l.item.startsWith("EKS control plane"));
  const planeOverlapUsdPerHour = planeLines.length > 1 ? Math.min(...planeLines.map((l) => l.unitUsdPerHour)) : 0;
  const peakUsdPerHour = lines.reduce((sum, l) => sum + l.quantity * l.unitUsdPerHour, 0) - planeOverlapUsdPerHour;
  const totalUsd = lines.reduce((sum, l) => sum + l.usd, 0);
  return {
    lines,
    peakUsdPerHour,
    totalUsd,
    perLearnerUsd: cohort.learners.length > 0 ? totalUsd / cohort.learners.length : 0,
    hours,
    assumesSpot: cohort.gpuPools.some((p) => p.capacity === "spot" && p.priceUsdPerHour === undefined),
  };
}
