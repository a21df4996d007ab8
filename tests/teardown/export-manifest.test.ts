import { describe, expect, it } from "vitest";
import { datasetObjectKey, runArtifactPrefix } from "../../charts/names";
import { groupRunArtifacts } from "../../teardown/export-manifest";

const object = (key: string) => ({ key, sizeBytes: 1 });

describe("groupRunArtifacts", () => {
  it("groups keys under each learner's namespace-named area into runs, by learner id", () => {
    const keys = [
      `${runArtifactPrefix("ft", "ada", "r1")}results.json`,
      `${runArtifactPrefix("ft", "ada", "r1")}adapter.tar.gz`,
      `${runArtifactPrefix("ft", "lab-x", "r2")}results.json`,
      datasetObjectKey("ft", "ada", "a".repeat(64)),
      `${runArtifactPrefix("other", "ada", "r9")}results.json`,
    ];
    expect(keys[0]).toBe("cohorts/ft/learners/lab-ada/runs/r1/results.json");

    const { runs, unsafe } = groupRunArtifacts("ft", keys.map(object));

    expect(runs.map((r) => [r.learner, r.run, [...r.files.keys()].sort()])).toEqual([
      ["ada", "r1", ["adapter.tar.gz", "results.json"]],
      ["lab-x", "r2", ["results.json"]],
    ]);
    expect(unsafe).toEqual([]);
  });

  it("reports a run key outside any learner's area (the older learners/<learner>/ layout) as not copied, and says how to move it", () => {
    const { runs, unsafe } = groupRunArtifacts("ft", [object("cohorts/ft/learners/ada/runs/r1/results.json")]);
    expect(runs).toEqual([]);
    expect(unsafe).toEqual([
      {
        key: "cohorts/ft/learners/ada/runs/r1/results.json",
        reason: expect.stringMatching(/`ada` is not a learner's area.*`lab-<learner>`.*learners\/lab-<learner>\/runs/),
      },
    ]);
  });
});
