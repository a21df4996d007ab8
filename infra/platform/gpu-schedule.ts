/**
 * Scheduled scaling of the GPU pools: each pool's Auto Scaling group scales to its count when the
 * cohort (or a day's window) opens and to zero after it closes, in the cohort's time zone, so
 * nobody pays for idle GPUs overnight or after the cohort. The actions come from
 * `gpuScalingActions` (core/schedule/gpu-scaling-schedule.ts); this component only creates them.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type GpuScalingAction, gpuScalingActions } from "../../core/schedule/gpu-scaling-schedule";
import type { Schedule } from "../../schema/cohort";

/** One GPU pool to schedule. */
export interface ScheduledGpuPool {
  /** Pool name from cohort.yaml, e.g. `l40s`. */
  readonly name: string;
  /** Nodes while the pool runs (the pool's `count`). */
  readonly count: number;
  /** Name of the pool's Auto Scaling group; for a managed node group, see `managedNodeGroupAsgName`. */
  readonly autoscalingGroupName: pulumi.Input<string>;
}

export interface GpuScheduleArgs {
  /** The cohort's `schedule` (start, end, time zone, optional daily window). */
  readonly schedule: Schedule;
  /** The GPU pools to scale. */
  readonly pools: readonly ScheduledGpuPool[];
  /** The moment of deployment: actions before it are left out (AWS refuses past start times). Default: now. */
  readonly now?: Date;
}

/** The name of the Auto Scaling group EKS made for a managed node group (it has exactly one). */
export function managedNodeGroupAsgName(nodeGroup: aws.eks.NodeGroup): pulumi.Output<string> {
  return nodeGroup.resources.apply((resources) => {
    const name = resources[0]?.autoscalingGroups[0]?.name;
    if (!name) throw new Error(`node group has no Auto Scaling group yet: ${JSON.stringify(resources)}`);
    return name;
  });
}

/** The arguments of one Auto Scaling schedule for one pool's action (pure, unit-tested). */
export function scheduleArgs(
  pool: ScheduledGpuPool,
  action: GpuScalingAction,
  region?: pulumi.Input<string>,
): aws.autoscaling.ScheduleArgs {
  return {
    autoscalingGroupName: pool.autoscalingGroupName,
    scheduledActionName: `labkit-${pool.name}-${action.name}`,
    desiredCapacity: action.desiredSize,
    minSize: action.minSize,
    maxSize: action.maxSize,
    ...(action.recurrence ? { recurrence: action.recurrence, timeZone: action.timeZone } : {}),
    ...(action.startTimeUtc ? { startTime: action.startTimeUtc } : {}),
    ...(action.endTimeUtc ? { endTime: action.endTimeUtc } : {}),
    ...(region ? { region } : {}),
  };
}

/** The GPU pools' scheduled scaling. */
export class GpuSchedule extends pulumi.ComponentResource {
  /** The scheduled actions created, by pool name. */
  public readonly schedules: Readonly<Record<string, aws.autoscaling.Schedule[]>>;

  constructor(name: string, args: GpuScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:GpuSchedule", name, {}, opts);
    this.schedules = createGpuSchedules(name, args, this);
    this.registerOutputs({});
  }
}

/** Creates every pool's scheduled actions as children of `parent`. */
export function createGpuSchedules(
  name: string,
  args: GpuScheduleArgs,
  parent: pulumi.Resource,
): Record<string, aws.autoscaling.Schedule[]> {
  const schedules: Record<string, aws.autoscaling.Schedule[]> = {};
  for (const pool of args.pools) {
    schedules[pool.name] = gpuScalingActions(args.schedule, pool.count, args.now ?? new Date()).map(
      (action) =>
        new aws.autoscaling.Schedule(`${name}-${pool.name}-${action.name}`, scheduleArgs(pool, action), { parent }),
    );
  }
  return schedules;
}
