import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { datasetObjectKey } from "../../charts/names";
import { type ArtifactStore, exportArtifacts, MANIFEST_FILE } from "../../teardown/export-artifacts";
import type { ExportManifest } from "../../teardown/export-manifest";
import { EXPORT_STATE_FILE, ExportFolderInUseError } from "../../teardown/export-state";
import { S3ArtifactStore } from "../../teardown/s3-artifact-store";
import { type MotoS3, startMotoS3 } from "../harness/moto-s3";
import { makeRun, type SeededRun } from "./run-artifacts";

const COHORT = "ft-dec26";
let s3: MotoS3;
let bucketCount = 0;

beforeAll(async () => {
  s3 = await startMotoS3();
});
afterAll(async () => {
  await s3?.stop();
});

/** A fresh bucket holding `runs`, and a store reading it. */
async function seed(runs: SeededRun[], options: { corruptAdapterOf?: string; dropAdapterOf?: string } = {}) {
  const bucket = `labkit-artifacts-${++bucketCount}`;
  for (const run of runs) {
    await s3.put(bucket, run.resultsKey, JSON.stringify(run.results));
    if (options.dropAdapterOf === run.run) continue;
    const bytes = Buffer.from(run.adapter);
    if (options.corruptAdapterOf === run.run) bytes[100] ^= 0xff;
    await s3.put(bucket, run.adapterKey, bytes);
  }
  const store = new S3ArtifactStore({ bucket, region: "eu-central-1", endpointUrl: s3.endpointUrl });
  return { bucket, store };
}

/** Counts the objects a store is asked to read. */
function counting(store: ArtifactStore): ArtifactStore & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    list: (prefix) => store.list(prefix),
    read: (key) => {
      reads.push(key);
      return store.read(key);
    },
  };
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const tempDir = () => mkdtemp(join(tmpdir(), "labkit-export-"));

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe("exportArtifacts against a local S3-compatible server", () => {
  it("copies every run's adapter and results to DIR/<learner>/<run>/ and writes a manifest with metrics and sha256", async () => {
    const runs = [makeRun(COHORT, "ada", "r1"), makeRun(COHORT, "ada", "r2"), makeRun(COHORT, "grace", "r7")];
    const { bucket, store } = await seed(runs);
    await s3.put(bucket, datasetObjectKey(COHORT, "ada", "a".repeat(64)), '{"prompt":"hi"}\n');
    await s3.put(bucket, "cohorts/other-cohort/learners/zed/runs/r1/results.json", "{}");
    const dir = await tempDir();

    const outcome = await exportArtifacts({ store, bucket, cohort: COHORT, dir });

    expect(outcome.manifest.complete).toBe(true);
    expect(outcome.manifest.counts).toEqual({ runs: 3, exported: 3, failed: 0, files: 6 });
    expect(await filesUnder(dir)).toEqual([
      EXPORT_STATE_FILE,
      "ada/r1/adapter.tar.gz",
      "ada/r1/results.json",
      "ada/r2/adapter.tar.gz",
      "ada/r2/results.json",
      "grace/r7/adapter.tar.gz",
      "grace/r7/results.json",
      MANIFEST_FILE,
    ]);
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), "utf8")) as ExportManifest;
    const grace = manifest.runs.find((r) => r.learner === "grace")!;
    expect(grace).toMatchObject({
      run: "r7",
      status: "exported",
      runStatus: "succeeded",
      metrics: { before: { perplexity: 12.5 }, after: { perplexity: 6.25, rougeL: 0.38 } },
      peakVramMiB: 9216,
    });
    const adapter = grace.files.find((f) => f.name === "adapter.tar.gz")!;
    expect(adapter.verifiedBy).toBe("sha256-from-results");
    expect(adapter.sha256).toBe(runs[2].results.adapter!.sha256);
    expect(sha256(await readFile(join(dir, adapter.path)))).toBe(adapter.sha256);
    const results = grace.files.find((f) => f.name === "results.json")!;
    expect(sha256(await readFile(join(dir, results.path)))).toBe(results.sha256);
    store.close();
  });

  it("marks a corrupt adapter failed, names learner, run and key, and leaves no copy that looks exported", async () => {
    const runs = [makeRun(COHORT, "ada", "r1"), makeRun(COHORT, "bob", "r2")];
    const { bucket, store } = await seed(runs, { corruptAdapterOf: "r2" });
    const dir = await tempDir();

    const { manifest } = await exportArtifacts({ store, bucket, cohort: COHORT, dir });

    expect(manifest.complete).toBe(false);
    expect(manifest.counts).toMatchObject({ exported: 1, failed: 1 });
    const bob = manifest.runs.find((r) => r.learner === "bob")!;
    expect(bob.status).toBe("failed");
    expect(bob.error).toContain("learner `bob`, run `r2`");
    expect(bob.error).toContain(runs[1].adapterKey);
    expect(bob.error).toMatch(/corrupt: its sha256 is [0-9a-f]{64}, results.json records/);
    expect(bob.files.map((f) => f.name)).toEqual(["results.json"]);
    expect(existsSync(join(dir, "bob/r2/adapter.tar.gz"))).toBe(false);
    expect(existsSync(join(dir, "bob/r2/adapter.tar.gz.part"))).toBe(false);
    const state = JSON.parse(await readFile(join(dir, EXPORT_STATE_FILE), "utf8"));
    expect(Object.keys(state.files)).not.toContain(runs[1].adapterKey);
    store.close();
  });

  it("marks a run whose adapter is missing from the bucket failed, naming the key results.json points to", async () => {
    const runs = [makeRun(COHORT, "ada", "r1")];
    const { bucket, store } = await seed(runs, { dropAdapterOf: "r1" });
    const dir = await tempDir();

    const { manifest } = await exportArtifacts({ store, bucket, cohort: COHORT, dir });

    expect(manifest.runs[0]).toMatchObject({ learner: "ada", run: "r1", status: "failed" });
    expect(manifest.runs[0].error).toContain(`the adapter is missing`);
    expect(manifest.runs[0].error).toContain(runs[0].adapterKey);
    expect(manifest.counts.exported).toBe(0);
    store.close();
  });

  it("marks a run without results.json failed instead of copying an adapter it cannot verify", async () => {
    const run = makeRun(COHORT, "ada", "r9");
    const bucket = `labkit-artifacts-${++bucketCount}`;
    await s3.put(bucket, run.adapterKey, run.adapter);
    const store = new S3ArtifactStore({ bucket, region: "eu-central-1", endpointUrl: s3.endpointUrl });
    const dir = await tempDir();

    const { manifest } = await exportArtifacts({ store, bucket, cohort: COHORT, dir });

    expect(manifest.runs[0].status).toBe("failed");
    expect(manifest.runs[0].error).toContain("results.json` is missing");
    expect(existsSync(join(dir, "ada/r9/adapter.tar.gz"))).toBe(false);
    store.close();
  });

  it("resumes an interrupted export: verified files are not copied again and a leftover .part file is replaced", async () => {
    const runs = ["r1", "r2", "r3", "r4"].map((r) => makeRun(COHORT, "ada", r));
    const { bucket, store: s3Store } = await seed(runs);
    const dir = await tempDir();
    const first = counting(s3Store);
    const controller = new AbortController();
    let finished = 0;

    await expect(
      exportArtifacts({
        store: first,
        bucket,
        cohort: COHORT,
        dir,
        concurrency: 1,
        signal: controller.signal,
        onProgress: (_progress, fileDone) => {
          if (fileDone && ++finished === 3) controller.abort();
        },
      }),
    ).rejects.toThrow();
    expect(existsSync(join(dir, MANIFEST_FILE))).toBe(false);
    // A crash in the middle of a file leaves a partial copy behind.
    await writeFile(join(dir, "ada/r2/adapter.tar.gz.part"), "half an adapter");

    const second = counting(s3Store);
    const outcome = await exportArtifacts({ store: second, bucket, cohort: COHORT, dir, concurrency: 1 });

    expect(outcome.resumedFiles).toBe(3);
    expect(outcome.copiedFiles).toBe(5);
    expect(second.reads).not.toContain(runs[0].adapterKey);
    expect(second.reads).not.toContain(runs[0].resultsKey);
    expect(second.reads).toContain(runs[1].adapterKey);
    expect(outcome.manifest.complete).toBe(true);
    for (const run of runs) {
      expect(sha256(await readFile(join(dir, "ada", run.run, "adapter.tar.gz")))).toBe(run.results.adapter!.sha256);
    }
    expect((await filesUnder(dir)).filter((f) => f.endsWith(".part"))).toEqual([]);
    s3Store.close();
  });

  it("copies a file again when the bucket's object changed since it was exported", async () => {
    const run = makeRun(COHORT, "ada", "r1");
    const { bucket, store } = await seed([run]);
    const dir = await tempDir();
    await exportArtifacts({ store, bucket, cohort: COHORT, dir });
    const rerun = makeRun(COHORT, "ada", "r1", 32 * 1024);
    await s3.put(bucket, rerun.resultsKey, JSON.stringify(rerun.results));
    await s3.put(bucket, rerun.adapterKey, rerun.adapter);

    const again = counting(store);
    const outcome = await exportArtifacts({ store: again, bucket, cohort: COHORT, dir });

    expect(again.reads.sort()).toEqual([run.adapterKey, run.resultsKey].sort());
    expect(outcome.manifest.runs[0].files.find((f) => f.name === "adapter.tar.gz")!.sha256).toBe(
      rerun.results.adapter!.sha256,
    );
    store.close();
  });

  it("refuses a folder that holds another cohort's export", async () => {
    const { bucket, store } = await seed([makeRun(COHORT, "ada", "r1")]);
    const dir = await tempDir();
    await exportArtifacts({ store, bucket, cohort: COHORT, dir });

    await expect(exportArtifacts({ store, bucket, cohort: "ft-jan27", dir })).rejects.toBeInstanceOf(
      ExportFolderInUseError,
    );
    store.close();
  });
});
