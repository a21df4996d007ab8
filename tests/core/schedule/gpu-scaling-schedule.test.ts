import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  gpuScalingActions,
  gpuWindows,
  scheduledGpuNodes,
  utcMsToZonedTime,
  zonedTimeToUtcMs,
} from "../../../core/schedule/gpu-scaling-schedule";
import type { Schedule } from "../../../schema/cohort";

const berlinTwoDays: Schedule = {
  start: "2026-12-07T09:00",
  end: "2026-12-08T17:00",
  timeZone: "Europe/Berlin",
  dailyWindow: { from: "08:30", to: "17:30" },
};
const beforeCohort = new Date("2026-11-01T00:00:00Z");

describe("gpuScalingActions", () => {
  it("scales a pool up at each day's opening and to zero at each closing in the cohort's time zone, ending at the cohort's end", () => {
    expect(gpuScalingActions(berlinTwoDays, 8, beforeCohort)).toEqual([
      {
        name: "open",
        desiredSize: 8,
        minSize: 0,
        maxSize: 8,
        recurrence: "30 8 * * *",
        timeZone: "Europe/Berlin",
        // The first day opens at the cohort's start (09:00 CET = 08:00 UTC), not at 08:30.
        startTimeUtc: "2026-12-07T08:00:00Z",
        endTimeUtc: "2026-12-08T16:00:00Z",
      },
      {
        name: "close",
        desiredSize: 0,
        minSize: 0,
        maxSize: 8,
        recurrence: "30 17 * * *",
        timeZone: "Europe/Berlin",
        startTimeUtc: "2026-12-07T16:30:00Z",
        endTimeUtc: "2026-12-08T16:00:00Z",
      },
      // The cohort ends at 17:00, before the last window would close at 17:30.
      { name: "end", desiredSize: 0, minSize: 0, maxSize: 8, startTimeUtc: "2026-12-08T16:00:00Z" },
    ]);
  });

  it("uses one-time start and end actions when the cohort has no daily window, converting local times across a daylight-saving change", () => {
    const schedule: Schedule = { start: "2027-03-13T09:00", end: "2027-03-15T17:00", timeZone: "America/New_York" };
    expect(gpuScalingActions(schedule, 3, beforeCohort)).toEqual([
      { name: "start", desiredSize: 3, minSize: 0, maxSize: 3, startTimeUtc: "2027-03-13T14:00:00Z" },
      { name: "end", desiredSize: 0, minSize: 0, maxSize: 3, startTimeUtc: "2027-03-15T21:00:00Z" },
    ]);
  });

  it("needs no separate end action when the last window closes before the cohort ends", () => {
    const schedule: Schedule = { ...berlinTwoDays, end: "2026-12-08T18:00" };
    expect(gpuScalingActions(schedule, 2, beforeCohort).map((a) => a.name)).toEqual(["open", "close"]);
  });

  it("drops start times already past when deployed mid-cohort, and schedules nothing after the cohort", () => {
    const midCohort = new Date("2026-12-07T12:00:00Z");
    const actions = gpuScalingActions(berlinTwoDays, 8, midCohort);
    expect(actions.find((a) => a.name === "open")).not.toHaveProperty("startTimeUtc");
    expect(actions.find((a) => a.name === "close")?.startTimeUtc).toBe("2026-12-07T16:30:00Z");
    expect(actions.find((a) => a.name === "end")?.startTimeUtc).toBe("2026-12-08T16:00:00Z");
    expect(gpuScalingActions(berlinTwoDays, 8, new Date("2026-12-09T00:00:00Z"))).toEqual([]);
  });

  it("never gives two actions the same start time, and every daily action ends after it starts", () => {
    const zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"];
    const scheduleArb = fc
      .record({
        startDay: fc.integer({ min: 0, max: 360 }),
        days: fc.integer({ min: 0, max: 5 }),
        startMinute: fc.integer({ min: 0, max: 23 * 60 }),
        endMinute: fc.integer({ min: 0, max: 23 * 60 + 59 }),
        window: fc.option(fc.tuple(fc.integer({ min: 0, max: 22 * 60 }), fc.integer({ min: 30, max: 120 })), {
          nil: undefined,
        }),
        zone: fc.constantFrom(...zones),
        count: fc.integer({ min: 1, max: 20 }),
      })
      .filter((s) => s.days > 0 || s.endMinute > s.startMinute);
    const clock = (minutes: number) =>
      `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
    fc.assert(
      fc.property(scheduleArb, (s) => {
        const day = (offset: number) => new Date(Date.UTC(2027, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
        const schedule: Schedule = {
          start: `${day(s.startDay)}T${clock(s.startMinute)}`,
          end: `${day(s.startDay + s.days)}T${clock(s.endMinute)}`,
          timeZone: s.zone,
          ...(s.window
            ? {
                dailyWindow: { from: clock(s.window[0]), to: clock(Math.min(s.window[0] + s.window[1], 23 * 60 + 59)) },
              }
            : {}),
        };
        const actions = gpuScalingActions(schedule, s.count, beforeCohort);
        const starts = actions.map((a) => a.startTimeUtc).filter((t) => t !== undefined);
        expect(new Set(starts).size).toBe(starts.length);
        for (const action of actions) {
          if (action.endTimeUtc && action.startTimeUtc) expect(action.startTimeUtc < action.endTimeUtc).toBe(true);
          expect([0, s.count]).toContain(action.desiredSize);
        }
        if (gpuWindows(schedule).length > 0) expect(actions.at(-1)?.desiredSize ?? 0).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe("scheduledGpuNodes", () => {
  it.each([
    ["2026-12-07T07:45:00Z", 0, "08:45 in Berlin, before the cohort starts at 09:00"],
    ["2026-12-07T08:30:00Z", 8, "09:30 on the first day"],
    ["2026-12-07T20:00:00Z", 0, "21:00, after the first day's window"],
    ["2026-12-08T07:40:00Z", 8, "08:40 on the second day, inside the window"],
    ["2026-12-08T16:10:00Z", 0, "17:10 on the last day, after the cohort's end"],
  ])("at %s wants %i nodes (%s)", (instant, nodes) => {
    expect(scheduledGpuNodes(berlinTwoDays, 8, new Date(instant))).toBe(nodes);
  });
});

describe("time-zone conversion", () => {
  it("maps local times to UTC and back in any zone, daylight-saving changes included", () => {
    const zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "America/St_Johns"];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2028, 0, 1) }),
        fc.constantFrom(...zones),
        (instantMs, zone) => {
          const local = utcMsToZonedTime(instantMs, zone);
          expect(utcMsToZonedTime(zonedTimeToUtcMs(local, zone), zone)).toBe(local);
        },
      ),
      { numRuns: 500 },
    );
  });
});
