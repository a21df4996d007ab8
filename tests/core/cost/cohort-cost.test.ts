import { describe, expect, it } from "vitest";
import { estimateCohortCost, scheduleHours, systemNodeCount } from "../../../core/cost/cohort-cost";
import { gpuPoolCapacity } from "../../../core/cost/gpu-pools";
import { loadCohort } from "../../../schema/load-cohort";

describe("scheduleHours", () => {
  it("counts the daily window only inside the cohort's start and end", () => {
    // Day 1: 09:00–17:30 (start clips the 08:30 opening) = 8.5 h; day 2: 08:30–17:00 (end clips) = 8.5 h.
    const hours = scheduleHours({
      start: "2026-12-07T09:00",
      end: "2026-12-08T17:00",
      timeZone: "Europe/Berlin",
      dailyWindow: { from: "08:30", to: "17:30" },
    });
    expect(hours).toEqual({ clusterHours: 32, gpuHours: 17, days: 2 });
  });

  it("runs GPU pools from start to end when there is no daily window", () => {
    expect(scheduleHours({ start: "2026-12-07T09:00", end: "2026-12-07T17:30", timeZone: "UTC" })).toEqual({
      clusterHours: 8.5,
      gpuHours: 8.5,
      days: 1,
    });
  });
});

describe("estimateCohortCost", () => {
  const cohort = loadCohort("workshop/cohort.example.yaml");

  it("adds up every line, and divides by the learners", () => {
    const cost = estimateCohortCost(cohort);
    const sum = cost.lines.reduce((s, l) => s + l.usd, 0);
    expect(cost.totalUsd).toBeCloseTo(sum, 9);
    expect(cost.perLearnerUsd).toBeCloseTo(sum / 24, 9);
    const gpuLine = cost.lines.find((l) => l.item.startsWith("GPU pool l40s"));
    expect(gpuLine).toMatchObject({ quantity: 8, unitUsdPerHour: 1.861, hours: 17 });
    expect(gpuLine?.usd).toBeCloseTo(8 * 1.861 * 17, 9);
  });

  it("prices spot capacity below on-demand, and honours a price override", () => {
    const spot = { ...cohort, gpuPools: [{ ...cohort.gpuPools[0], capacity: "spot" as const }] };
    const override = { ...cohort, gpuPools: [{ ...cohort.gpuPools[0], priceUsdPerHour: 1 }] };
    const gpuCost = (c: typeof cohort) => estimateCohortCost(c).lines[0].usd;
    expect(gpuCost(spot)).toBeLessThan(gpuCost(cohort));
    expect(estimateCohortCost(spot).assumesSpot).toBe(true);
    expect(gpuCost(override)).toBeCloseTo(8 * 1 * 17, 9);
  });

  it("charges no control plane, NAT or system pool when deploying into an existing cluster", () => {
    const existing = { ...cohort, cloud: { ...cohort.cloud, cluster: { existing: { kubeconfigContext: "prod" } } } };
    const items = estimateCohortCost(existing).lines.map((l) => l.item);
    expect(items.some((i) => i.startsWith("EKS"))).toBe(false);
    expect(items.some((i) => i.startsWith("NAT"))).toBe(false);
    expect(items.some((i) => i.startsWith("System pool"))).toBe(false);
  });
});

describe("capacity", () => {
  const cohort = loadCohort("workshop/cohort.example.yaml");

  it("sizes the system pool for every lab's CPU and memory plus the platform pods", () => {
    // 24 labs × 2 CPU + 4 = 52 CPU on m7i.4xlarge (16 vCPU, 90% usable) → 4 nodes; memory 200 GiB / 57.6 → 4.
    expect(systemNodeCount(cohort)).toBe(4);
    const bigger = { ...cohort, learners: Array.from({ length: 200 }, (_, i) => ({ id: `l${i}`, name: `L ${i}` })) };
    expect(systemNodeCount(bigger)).toBe(Math.ceil((200 * 2 + 4) / (16 * 0.9)));
  });

  it("counts MIG slices as schedulable slots", () => {
    const cap = gpuPoolCapacity({
      name: "a100",
      instanceType: "p4d.24xlarge",
      count: 1,
      capacity: "onDemand",
      sharing: "mig",
      migProfile: "3g.20gb",
    });
    expect(cap).toMatchObject({ totalGpus: 8, slotsPerGpu: 2, slotMemoryMiB: 19968, totalVramMiB: 8 * 2 * 19968 });
  });
});
