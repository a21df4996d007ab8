/**
 * When a cohort's GPU pools run: the scheduled scaling actions that bring each pool up at the
 * start of the cohort (or of each day's window) and down to zero after it, in the cohort's time
 * zone, and the size a pool should have at any moment. Pure functions over `cohort.schedule`;
 * infra/platform/gpu-schedule.ts turns the actions into Auto Scaling schedules and
 * `labkit scale --to schedule` uses the size.
 */
import type { Schedule } from "../../schema/cohort";

/** One scheduled scaling action for a GPU pool's Auto Scaling group. */
export interface GpuScalingAction {
  /** `start`/`end` (one-time) or `open`/`close` (daily, with a window). */
  readonly name: "start" | "end" | "open" | "close";
  /** Nodes wanted after the action: the pool's count, or 0. */
  readonly desiredSize: number;
  /** Lower bound after the action: always 0, so `labkit scale` may take a pool down at any time. */
  readonly minSize: number;
  /** Upper bound after the action: the pool's count. */
  readonly maxSize: number;
  /** Daily Unix cron (`minute hour * * *`) in `timeZone`; absent for a one-time action. */
  readonly recurrence?: string;
  /** IANA time zone of `recurrence`; absent for a one-time action (its times are UTC). */
  readonly timeZone?: string;
  /** First (or only) time the action runs, UTC `YYYY-MM-DDThh:mm:ssZ`; absent when a daily action is already under way. */
  readonly startTimeUtc?: string;
  /** Last time a daily action may run, UTC `YYYY-MM-DDThh:mm:ssZ`. */
  readonly endTimeUtc?: string;
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Offset of `timeZone` from UTC at the instant `utcMs`, milliseconds (positive east of Greenwich). */
export function timeZoneOffsetMs(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(utcMs));
  const field = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wallAsUtc = Date.UTC(
    field("year"),
    field("month") - 1,
    field("day"),
    field("hour"),
    field("minute"),
    field("second"),
  );
  return wallAsUtc - Math.floor(utcMs / 1000) * 1000;
}

/** Milliseconds of a local date-time (`2026-12-07T09:00`) read on a naive UTC clock. */
function naiveMs(local: string): number {
  return Date.parse(`${local.length === 16 ? `${local}:00` : local}Z`);
}

/**
 * The UTC instant of a local date-time in `timeZone`. A time skipped by a daylight-saving jump
 * resolves to the instant after the jump; a repeated one to its first occurrence.
 */
export function zonedTimeToUtcMs(local: string, timeZone: string): number {
  const naive = naiveMs(local);
  const firstGuess = naive - timeZoneOffsetMs(naive, timeZone);
  const offset = timeZoneOffsetMs(firstGuess, timeZone);
  return naive - offset;
}

/** The local date-time (`YYYY-MM-DDThh:mm`) in `timeZone` at the instant `utcMs`. */
export function utcMsToZonedTime(utcMs: number, timeZone: string): string {
  return new Date(utcMs + timeZoneOffsetMs(utcMs, timeZone)).toISOString().slice(0, 16);
}

/** An instant in the format Auto Scaling's StartTime/EndTime take: `YYYY-MM-DDThh:mm:ssZ`. */
export function formatAwsUtc(utcMs: number): string {
  return new Date(utcMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The windows of a schedule as local date-time pairs, clipped to start and end; one per day with any GPU time. */
export function gpuWindows(schedule: Schedule): Array<{ from: string; to: string }> {
  const start = schedule.start.slice(0, 16);
  const end = schedule.end.slice(0, 16);
  const window = schedule.dailyWindow;
  if (!window) return start < end ? [{ from: start, to: end }] : [];
  const windows: Array<{ from: string; to: string }> = [];
  const lastDay = naiveMs(`${end.slice(0, 10)}T00:00`);
  for (let day = naiveMs(`${start.slice(0, 10)}T00:00`); day <= lastDay; day += DAY_MS) {
    const date = new Date(day).toISOString().slice(0, 10);
    const open = `${date}T${window.from}`;
    const close = `${date}T${window.to}`;
    const from = open > start ? open : start;
    const to = close < end ? close : end;
    if (from < to) windows.push({ from, to });
  }
  return windows;
}

/**
 * The scheduled actions that keep a pool of `count` nodes up only inside the cohort's schedule:
 * without a daily window, one-time `start` and `end`; with one, daily `open` and `close` in the
 * cohort's time zone from the first window to the cohort's end, plus a one-time `end` for a
 * cohort that ends before the last window would close. Actions wholly before `now` are left out
 * (Auto Scaling refuses start times in the past); a daily action already under way keeps its
 * recurrence without a start time.
 */
export function gpuScalingActions(schedule: Schedule, count: number, now: Date = new Date()): GpuScalingAction[] {
  const tz = schedule.timeZone;
  const nowMs = now.getTime();
  const utc = (local: string) => zonedTimeToUtcMs(local, tz);
  const endMs = utc(schedule.end.slice(0, 16));
  const windows = gpuWindows(schedule);
  if (windows.length === 0 || endMs <= nowMs) return [];
  const bounds = { minSize: 0, maxSize: count };
  const actions: GpuScalingAction[] = [];
  const oneTime = (name: GpuScalingAction["name"], desiredSize: number, atMs: number) => {
    if (atMs > nowMs) actions.push({ name, desiredSize, ...bounds, startTimeUtc: formatAwsUtc(atMs) });
  };
  const window = schedule.dailyWindow;
  if (!window || windows.length === 1) {
    oneTime("start", count, utc(windows[0].from));
    oneTime("end", 0, utc(windows[windows.length - 1].to));
    return actions;
  }
  const daily = (name: "open" | "close", desiredSize: number, clock: string, firstMs: number) => {
    const [hour, minute] = clock.split(":").map(Number);
    actions.push({
      name,
      desiredSize,
      ...bounds,
      recurrence: `${minute} ${hour} * * *`,
      timeZone: tz,
      ...(firstMs > nowMs ? { startTimeUtc: formatAwsUtc(firstMs) } : {}),
      endTimeUtc: formatAwsUtc(endMs),
    });
  };
  daily("open", count, window.from, utc(windows[0].from));
  daily("close", 0, window.to, utc(windows[0].to));
  const lastWindow = windows[windows.length - 1];
  if (lastWindow.to < `${lastWindow.to.slice(0, 10)}T${window.to}`) oneTime("end", 0, endMs);
  return actions;
}

/** Nodes a pool of `count` should run at `now` by the schedule: `count` inside a window, 0 outside. */
export function scheduledGpuNodes(schedule: Schedule, count: number, now: Date = new Date()): number {
  const local = utcMsToZonedTime(now.getTime(), schedule.timeZone);
  return gpuWindows(schedule).some((w) => w.from <= local && local < w.to) ? count : 0;
}
