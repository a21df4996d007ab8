import { describe, expect, it } from "vitest";
import { loadPublicModule } from "./load-public-module";

interface FormatModule {
  formatMiB(mib: unknown): string;
  formatBytes(bytes: unknown): string;
  formatDuration(seconds: unknown): string;
  formatUsd(amountUsd: unknown): string;
  formatMetric(metric: string, value: unknown): string;
  formatMetricChange(metric: string, before: unknown, after: unknown): string;
  formatProgress(step: unknown, totalSteps?: unknown): string;
}
interface ConnectionModule {
  summariseConnection(states: string[]): string;
}
const f = await loadPublicModule<FormatModule>("format.js");
const { summariseConnection } = await loadPublicModule<ConnectionModule>("connection-indicator.js");

describe("how the dashboard writes numbers", () => {
  it("writes memory in MiB below 1 GiB and in GiB above, and a dash when unknown", () => {
    expect([f.formatMiB(512), f.formatMiB(6200), f.formatMiB(46068), f.formatMiB(undefined)]).toEqual([
      "512 MiB",
      "6.1 GiB",
      "45.0 GiB",
      "–",
    ]);
    expect(f.formatBytes(13_000_000)).toBe("12.4 MiB");
  });

  it("writes waits in seconds, minutes or hours", () => {
    expect([f.formatDuration(45), f.formatDuration(185), f.formatDuration(7620), f.formatDuration(-1)]).toEqual([
      "45 s",
      "3 min 05 s",
      "2 h 07 min",
      "–",
    ]);
  });

  it("writes money in dollars and cents", () => {
    expect(f.formatUsd(4.7123)).toBe("$4.71");
  });

  it("says whether a metric got better, knowing that perplexity improves downwards", () => {
    expect(f.formatMetricChange("perplexity", 12.3, 6.1)).toBe("−6.20 (better)");
    expect(f.formatMetricChange("rougeL", 0.4, 0.35)).toBe("−0.050 (worse)");
    expect(f.formatMetricChange("bleu", 8, 17.25)).toBe("+9.3 (better)");
    expect(f.formatMetricChange("bleu", undefined, 17)).toBe("");
  });

  it("writes progress with or without a known total", () => {
    expect([f.formatProgress(30, 100), f.formatProgress(30), f.formatProgress(undefined)]).toEqual([
      "step 30 of 100",
      "step 30",
      "",
    ]);
  });
});

describe("the connection indicator", () => {
  it("says reconnecting while any stream retries, and live only when all are open", () => {
    expect(summariseConnection(["open", "reconnecting", "connecting"])).toBe("reconnecting");
    expect(summariseConnection(["open", "connecting"])).toBe("connecting");
    expect(summariseConnection(["open", "open"])).toBe("open");
  });
});
