import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DUMMY_AWS_ENV, type MotoS3, startMotoS3 } from "../../harness/moto-s3";
import { runLabkit } from "../../harness/run-cli";
import { makeRun } from "../../teardown/run-artifacts";

const COHORT_FILE = "workshop/cohort.example.yaml";
const COHORT = "ft-dec26";
let s3: MotoS3;

beforeAll(async () => {
  s3 = await startMotoS3();
});
afterAll(async () => {
  await s3?.stop();
});

const exportArgs = (dir: string, bucket: string) => [
  "export",
  dir,
  "--cohort",
  COHORT_FILE,
  "--bucket",
  bucket,
  "--endpoint-url",
  s3.endpointUrl,
];

describe("labkit export", () => {
  it("exports every run, prints plain progress lines when stderr is not a terminal, and exits 0", async () => {
    const runs = [makeRun(COHORT, "ada", "r1"), makeRun(COHORT, "grace", "r2")];
    for (const run of runs) {
      await s3.put("cli-ok", run.resultsKey, JSON.stringify(run.results));
      await s3.put("cli-ok", run.adapterKey, run.adapter);
    }
    const dir = await mkdtemp(join(tmpdir(), "labkit-cli-export-"));

    const result = await runLabkit(exportArgs(dir, "cli-ok"), { env: DUMMY_AWS_ENV });

    expect(result.stderr).toContain("[4/4] ");
    expect(result.stderr).not.toContain("\r");
    expect(result.stdout).toContain(`exported 2 of 2 runs (4 files`);
    expect(result.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ cohort: COHORT, bucket: "cli-ok", complete: true });

    const again = await runLabkit(exportArgs(dir, "cli-ok"), { env: DUMMY_AWS_ENV });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("4 files already there from an earlier export");
  });

  it("exits 1 naming the learner, run and key of a corrupt adapter, and the manifest marks that run failed", async () => {
    const good = makeRun(COHORT, "ada", "r1");
    const bad = makeRun(COHORT, "bob", "r5");
    for (const run of [good, bad]) await s3.put("cli-corrupt", run.resultsKey, JSON.stringify(run.results));
    await s3.put("cli-corrupt", good.adapterKey, good.adapter);
    await s3.put("cli-corrupt", bad.adapterKey, Buffer.concat([bad.adapter.subarray(1), Buffer.from([0])]));
    const dir = await mkdtemp(join(tmpdir(), "labkit-cli-export-"));

    const result = await runLabkit(exportArgs(dir, "cli-corrupt"), { env: DUMMY_AWS_ENV });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("learner `bob`, run `r5`");
    expect(result.stderr).toContain(bad.adapterKey);
    expect(result.stdout).toContain("exported 1 of 2 runs");
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    expect(manifest.runs.map((r: { learner: string; status: string }) => [r.learner, r.status])).toEqual([
      ["ada", "exported"],
      ["bob", "failed"],
    ]);
    expect(existsSync(join(dir, "bob/r5/adapter.tar.gz"))).toBe(false);
  });

  it("exits 2 with a hint when it cannot tell which bucket to read", async () => {
    const dir = await mkdtemp(join(tmpdir(), "labkit-cli-export-"));
    const result = await runLabkit(["export", dir, "--cohort", COHORT_FILE], {
      env: { ...DUMMY_AWS_ENV, PATH: "/nonexistent" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("pass --bucket NAME");
    expect(result.stderr).toContain("the Pulumi CLI is not installed");
  });

  it("exits 1 with a clear message when the bucket does not exist", async () => {
    const dir = await mkdtemp(join(tmpdir(), "labkit-cli-export-"));
    const result = await runLabkit(exportArgs(dir, "no-such-bucket"), { env: DUMMY_AWS_ENV });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("bucket `no-such-bucket` does not exist");
  });
});
