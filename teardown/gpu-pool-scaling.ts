/**
 * `labkit scale`'s decisions: how many nodes each GPU pool gets for `--to zero|schedule|N`, and
 * the EKS UpdateNodegroupConfig request that sets it. Pure functions over the cohort.
 */
import type { UpdateNodegroupConfigCommandInput } from "@aws-sdk/client-eks";
import { scheduledGpuNodes } from "../core/schedule/gpu-scaling-schedule";
import type { Cohort } from "../schema/cohort";

/** Where to scale to: nothing, what the schedule says now, or a fixed node count. */
export type ScaleTarget =
  | { readonly kind: "zero" }
  | { readonly kind: "schedule" }
  | { readonly kind: "nodes"; readonly nodes: number };

/** Most nodes `labkit scale --to N` accepts for one pool (the cohort schema's own limit). */
export const MAX_POOL_NODES = 100;

/** Reads `--to`: `zero`, `schedule`, or a whole number of nodes 0..100; a message for anything else. */
export function parseScaleTarget(text: string): ScaleTarget | { readonly error: string } {
  if (text === "zero") return { kind: "zero" };
  if (text === "schedule") return { kind: "schedule" };
  if (/^\d+$/.test(text) && Number(text) <= MAX_POOL_NODES) return { kind: "nodes", nodes: Number(text) };
  return { error: `--to must be \`zero\`, \`schedule\` or a node count from 0 to ${MAX_POOL_NODES}, not \`${text}\`` };
}

/** One pool's new size and why. */
export interface PoolScaling {
  readonly pool: string;
  /** Nodes wanted. */
  readonly desiredSize: number;
  /** Always 0, so the pool may go to zero. */
  readonly minSize: number;
  /** The pool's count, or the requested size when larger; EKS needs at least 1. */
  readonly maxSize: number;
  /** Why this size, e.g. `outside the schedule's window (Europe/Berlin)`. */
  readonly reason: string;
}

/**
 * The size of each chosen pool (all pools when `poolName` is undefined). Returns a message for an
 * unknown pool name.
 */
export function planPoolScaling(
  cohort: Pick<Cohort, "gpuPools" | "schedule">,
  target: ScaleTarget,
  poolName: string | undefined,
  now: Date = new Date(),
): PoolScaling[] | { readonly error: string } {
  const pools = poolName === undefined ? cohort.gpuPools : cohort.gpuPools.filter((p) => p.name === poolName);
  if (pools.length === 0) {
    return {
      error: `the cohort has no GPU pool \`${poolName}\`: use one of ${cohort.gpuPools.map((p) => p.name).join(", ")}`,
    };
  }
  return pools.map((pool) => {
    let desiredSize: number;
    let reason: string;
    if (target.kind === "zero") {
      desiredSize = 0;
      reason = "scaled to zero on request";
    } else if (target.kind === "nodes") {
      desiredSize = target.nodes;
      reason = `${target.nodes} node${target.nodes === 1 ? "" : "s"} on request`;
    } else {
      desiredSize = scheduledGpuNodes(cohort.schedule, pool.count, now);
      reason =
        desiredSize > 0
          ? `inside the cohort's schedule (${cohort.schedule.timeZone})`
          : `outside the cohort's schedule (${cohort.schedule.timeZone})`;
    }
    return { pool: pool.name, desiredSize, minSize: 0, maxSize: Math.max(1, pool.count, desiredSize), reason };
  });
}

/** The EKS request that sets a node group's size. */
export function updateNodegroupConfigInput(
  clusterName: string,
  nodegroupName: string,
  scaling: PoolScaling,
): UpdateNodegroupConfigCommandInput {
  return {
    clusterName,
    nodegroupName,
    scalingConfig: { minSize: scaling.minSize, maxSize: scaling.maxSize, desiredSize: scaling.desiredSize },
  };
}
