import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { GpuSchedule } from "../../../infra/platform/gpu-schedule";
import type { Schedule } from "../../../schema/cohort";
import { type CreatedResource, recordPulumiResources } from "../../harness/recording-mocks";

let created: CreatedResource[] = [];

beforeAll(async () => {
  created = await recordPulumiResources();
});

/** Resolves when every output of the given resources is known. */
function settled(resources: pulumi.Resource[]): Promise<unknown> {
  return new Promise((resolve) => pulumi.all(resources.map((r) => r.urn)).apply(resolve));
}

const schedule: Schedule = {
  start: "2026-12-07T09:00",
  end: "2026-12-08T17:00",
  timeZone: "Europe/Berlin",
  dailyWindow: { from: "08:30", to: "17:30" },
};

describe("GpuSchedule", () => {
  it("creates, for every GPU pool's Auto Scaling group, a daily scale-up at the window's opening and a scale-to-zero at its closing in the cohort's time zone, plus the cohort's end", async () => {
    const component = new GpuSchedule("ft-dec26-gpu-schedule", {
      schedule,
      pools: [
        { name: "l40s", count: 8, autoscalingGroupName: pulumi.output("eks-l40s-asg") },
        { name: "a10g", count: 2, autoscalingGroupName: "eks-a10g-asg" },
      ],
      now: new Date("2026-11-01T00:00:00Z"),
    });
    await settled(Object.values(component.schedules).flat());

    const schedules = created.filter((c) => c.type === "aws:autoscaling/schedule:Schedule");
    expect(schedules.map((s) => s.name).sort()).toEqual([
      "ft-dec26-gpu-schedule-a10g-close",
      "ft-dec26-gpu-schedule-a10g-end",
      "ft-dec26-gpu-schedule-a10g-open",
      "ft-dec26-gpu-schedule-l40s-close",
      "ft-dec26-gpu-schedule-l40s-end",
      "ft-dec26-gpu-schedule-l40s-open",
    ]);
    const byName = (name: string) => schedules.find((s) => s.name === name)!.inputs;
    expect(byName("ft-dec26-gpu-schedule-l40s-open")).toEqual({
      autoscalingGroupName: "eks-l40s-asg",
      scheduledActionName: "labkit-l40s-open",
      desiredCapacity: 8,
      minSize: 0,
      maxSize: 8,
      recurrence: "30 8 * * *",
      timeZone: "Europe/Berlin",
      startTime: "2026-12-07T08:00:00Z",
      endTime: "2026-12-08T16:00:00Z",
    });
    expect(byName("ft-dec26-gpu-schedule-a10g-close")).toMatchObject({
      autoscalingGroupName: "eks-a10g-asg",
      desiredCapacity: 0,
      recurrence: "30 17 * * *",
      timeZone: "Europe/Berlin",
    });
    expect(byName("ft-dec26-gpu-schedule-l40s-end")).toEqual({
      autoscalingGroupName: "eks-l40s-asg",
      scheduledActionName: "labkit-l40s-end",
      desiredCapacity: 0,
      minSize: 0,
      maxSize: 8,
      startTime: "2026-12-08T16:00:00Z",
    });
    const parents = created.filter((c) => c.type === "labkit:platform:GpuSchedule");
    expect(parents).toHaveLength(1);
  });
});
