import { describe, expect, it } from "vitest";
import { exercisesSection } from "../../../cli/plan/sections/exercises";
import { cohortGpuInventory, roundSection } from "../../../cli/plan/sections/round";
import { loadCohort } from "../../../schema/load-cohort";

const cohort = loadCohort("workshop/cohort.example.yaml");
const context = { cohortFile: "workshop/cohort.example.yaml" };

describe("labkit plan: exercises and round sections", () => {
  it("estimates every exercise of the example cohort and finds each fits the 16 GiB quota and an L40S", async () => {
    const data = await exercisesSection.build(cohort, context);
    expect(data.exercises.map((e) => e.id)).toEqual(cohort.exercises.map((e) => e.id));
    for (const e of data.exercises) {
      expect(e.totalMiB).toBeGreaterThan(1024);
      expect(e.fitsQuota).toBe(true);
      expect(e.fitsGpu).toBe(true);
    }
    expect(exercisesSection.render(data, cohort).join("\n")).toMatch(
      /qlora-challenge\s+Qwen\/Qwen2\.5-1\.5B-Instruct\s+qlora/,
    );
  });

  it("suggests changes for an exercise that exceeds the quota", async () => {
    const tight = { ...cohort, quotas: { ...cohort.quotas, vramGiB: 8 } };
    const data = await exercisesSection.build(tight, context);
    const challenge = data.exercises.find((e) => e.id === "qlora-challenge")!;
    expect(challenge.fitsQuota).toBe(false);
    expect(challenge.suggestions.length).toBeGreaterThan(0);
    expect(challenge.suggestions.every((s) => s.totalMiB <= 8 * 1024)).toBe(true);
  });

  it("lists one GPU per node and index of each pool", () => {
    const gpus = cohortGpuInventory(cohort);
    expect(gpus).toHaveLength(8);
    expect(gpus[0]).toMatchObject({ node: "l40s-0", index: 0, mode: "hami", totalMiB: 46068 });
  });

  it("simulates a round per exercise with labkit at or below both baselines, each against the lower bound", async () => {
    const data = await roundSection.build(cohort, context);
    expect(data.rounds).toHaveLength(cohort.exercises.length);
    for (const round of data.rounds) {
      const [labkit, wholeGpu, clusterQuota] = round.report!.results;
      expect(labkit.policy).toBe("labkit");
      expect(labkit.makespanRatio).toBeGreaterThanOrEqual(1);
      expect(labkit.makespanMinutes).toBeLessThan(wholeGpu.makespanMinutes);
      expect(labkit.makespanMinutes).toBeLessThanOrEqual(clusterQuota.makespanMinutes);
      expect(labkit.unplaced).toBe(0);
    }
    expect(roundSection.render(data, cohort).join("\n")).toMatch(/whole GPU\/run/);
  });
});
