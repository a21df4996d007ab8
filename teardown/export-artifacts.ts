/**
 * `labkit export`'s work: copy every run's adapter and results from the artifact store to a
 * folder (`DIR/<learner>/<run>/`), verify each file while it streams, record progress so an
 * interrupted export resumes, and write `manifest.json` last. The store is an interface, so the
 * same code runs against S3 and against any S3-compatible server in tests.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { learnersArtifactPrefix, runArtifactPrefix } from "../charts/names";
import { mapWithConcurrency } from "../lib/map-with-concurrency";
import { writeFileAtomic } from "../lib/write-file-atomic";
import { type RunResult, RunResultSchema } from "../schema/run-result";
import {
  ADAPTER_FILE,
  type ArtifactObject,
  buildExportManifest,
  type ExportManifest,
  groupRunArtifacts,
  type ManifestFile,
  type ManifestRun,
  RESULTS_FILE,
  type RunArtifacts,
  type Verification,
} from "./export-manifest";
import { ExportState } from "./export-state";
import type { CopyProgress } from "./progress-bar";

/** Where artifacts are read from: S3 in the CLI (`S3ArtifactStore`), anything S3-like in tests. */
export interface ArtifactStore {
  /** Every object whose key starts with `prefix`. */
  list(prefix: string): AsyncIterable<ArtifactObject>;
  /** The object's bytes; throws `ArtifactMissingError` when the key does not exist. */
  read(key: string): Promise<AsyncIterable<Uint8Array>>;
}

/** The store has no object under this key (deleted between listing and copying, for example). */
export class ArtifactMissingError extends Error {
  constructor(readonly key: string) {
    super(`no object \`${key}\` in the bucket`);
    this.name = "ArtifactMissingError";
  }
}

/** Manifest file name in the export folder. */
export const MANIFEST_FILE = "manifest.json";

export interface ExportOptions {
  readonly store: ArtifactStore;
  /** Bucket name, recorded in the manifest and the state file. */
  readonly bucket: string;
  /** Cohort name: its prefix `cohorts/<name>/` is what gets copied. */
  readonly cohort: string;
  /** Export folder; created when missing. */
  readonly dir: string;
  /** Runs copied at once. Default 4. */
  readonly concurrency?: number;
  /** Called as bytes arrive and as files finish; `fileDone` names the finished file. */
  readonly onProgress?: (progress: CopyProgress, fileDone?: string) => void;
  /** Stops the export between files (the state file keeps what was done). */
  readonly signal?: AbortSignal;
  /** Clock for the manifest's `exportedAt`. Default: now. */
  readonly now?: () => Date;
}

export interface ExportOutcome {
  readonly manifest: ExportManifest;
  /** Path of the manifest written. */
  readonly manifestPath: string;
  /** Files copied in this invocation (not counting ones found already copied). */
  readonly copiedFiles: number;
  /** Files skipped because an earlier, interrupted export had already copied and verified them. */
  readonly resumedFiles: number;
}

/** A run that could not be exported; the message names learner, run and key. */
class RunExportError extends Error {}

/**
 * Copies the cohort's run artifacts to `dir` and writes `manifest.json`. Never throws for a bad
 * run: the run is marked failed in the manifest, with the reason. Throws for a store that cannot
 * be listed, an unwritable folder, a folder holding another export, or an abort.
 */
export async function exportArtifacts(options: ExportOptions): Promise<ExportOutcome> {
  const { store, bucket, cohort, dir } = options;
  const state = await ExportState.open(dir, bucket, cohort);
  const objects: ArtifactObject[] = [];
  for await (const object of store.list(learnersArtifactPrefix(cohort))) objects.push(object);
  const { runs, unsafe } = groupRunArtifacts(cohort, objects);

  const totals = { doneBytes: 0, totalBytes: 0, doneFiles: 0, totalFiles: 0 };
  for (const run of runs) {
    for (const object of run.files.values()) {
      totals.totalBytes += object.sizeBytes;
      totals.totalFiles += 1;
    }
  }
  const counters = { copiedFiles: 0, resumedFiles: 0 };
  const report = (fileDone?: string) => options.onProgress?.({ ...totals }, fileDone);

  const copyFile = async (
    run: RunArtifacts,
    name: string,
    object: ArtifactObject,
    expected: { sha256: string; sizeBytes?: number } | undefined,
  ): Promise<ManifestFile> => {
    options.signal?.throwIfAborted();
    const path = `${run.learner}/${run.run}/${name}`;
    const target = join(dir, path);
    const verifiedBy: Verification = expected ? "sha256-from-results" : "size-and-store-checksum";
    const previous = state.copied(object.key);
    if (
      previous &&
      previous.path === path &&
      previous.sizeBytes === object.sizeBytes &&
      previous.etag === object.etag &&
      (expected === undefined || previous.sha256 === expected.sha256) &&
      (await sizeOnDisk(target)) === object.sizeBytes
    ) {
      totals.doneBytes += object.sizeBytes;
      totals.doneFiles += 1;
      counters.resumedFiles += 1;
      report(`${path} (already exported)`);
      return { name, key: object.key, path, sizeBytes: object.sizeBytes, sha256: previous.sha256, verifiedBy };
    }
    await state.forget(object.key);
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.part`;
    const hash = createHash("sha256");
    let sizeBytes = 0;
    const counted = async function* (source: AsyncIterable<Uint8Array>) {
      for await (const chunk of source) {
        hash.update(chunk);
        sizeBytes += chunk.byteLength;
        totals.doneBytes += chunk.byteLength;
        report();
        yield chunk;
      }
    };
    const startBytes = totals.doneBytes;
    const fail = async (message: string): Promise<never> => {
      await rm(partial, { force: true });
      await rm(target, { force: true });
      totals.doneBytes = startBytes + object.sizeBytes;
      totals.doneFiles += 1;
      report(`${path} FAILED`);
      throw new RunExportError(message);
    };
    try {
      const body = await store.read(object.key);
      await pipeline(counted(body), createWriteStream(partial));
    } catch (error) {
      if (options.signal?.aborted) {
        await rm(partial, { force: true });
        throw error;
      }
      if (error instanceof ArtifactMissingError) {
        return fail(`\`${object.key}\` was listed but is gone from the bucket; run the export again`);
      }
      return fail(`could not copy \`${object.key}\`: ${(error as Error).message}; run the export again to retry`);
    }
    const sha256 = hash.digest("hex");
    if (sizeBytes !== object.sizeBytes) {
      return fail(
        `\`${object.key}\` arrived with ${sizeBytes} bytes, the bucket lists ${object.sizeBytes}; run the export again`,
      );
    }
    if (expected && sha256 !== expected.sha256) {
      return fail(
        `\`${object.key}\` is corrupt: its sha256 is ${sha256}, results.json records ${expected.sha256}; the adapter in the bucket does not match what the runner wrote`,
      );
    }
    if (expected?.sizeBytes !== undefined && expected.sizeBytes !== sizeBytes) {
      return fail(
        `\`${object.key}\` has ${sizeBytes} bytes, results.json records ${expected.sizeBytes}; the adapter in the bucket does not match what the runner wrote`,
      );
    }
    await rename(partial, target);
    await state.record(object.key, { etag: object.etag, sizeBytes, sha256, path });
    totals.doneFiles += 1;
    counters.copiedFiles += 1;
    report(path);
    return { name, key: object.key, path, sizeBytes, sha256, verifiedBy };
  };

  const exportRun = async (run: RunArtifacts): Promise<ManifestRun> => {
    const files: ManifestFile[] = [];
    let result: RunResult | undefined;
    const where = `learner \`${run.learner}\`, run \`${run.run}\``;
    const skipRemaining = (done: ReadonlySet<string>) => {
      for (const [name, object] of run.files) {
        if (done.has(name)) continue;
        totals.doneBytes += object.sizeBytes;
        totals.doneFiles += 1;
      }
      report();
    };
    const done = new Set<string>();
    const copy = async (name: string, object: ArtifactObject, expected?: { sha256: string; sizeBytes?: number }) => {
      try {
        return await copyFile(run, name, object, expected);
      } finally {
        done.add(name);
      }
    };
    try {
      const resultsObject = run.files.get(RESULTS_FILE);
      if (!resultsObject) {
        const prefix = runArtifactPrefix(cohort, run.learner, run.run);
        throw new RunExportError(
          `\`${prefix}${RESULTS_FILE}\` is missing, so the run's files cannot be verified; the run may still be running (wait for it) or its runner failed before writing results`,
        );
      }
      const resultsFile = await copy(RESULTS_FILE, resultsObject);
      files.push(resultsFile);
      const parsed = RunResultSchema.safeParse(safeJson(await readFile(join(dir, resultsFile.path), "utf8")));
      if (!parsed.success) {
        throw new RunExportError(
          `\`${resultsObject.key}\` is not a valid RunResult (${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
            .join("; ")})`,
        );
      }
      result = parsed.data;
      const adapterObject = run.files.get(ADAPTER_FILE);
      if (result.adapter && !adapterObject) {
        throw new RunExportError(
          `the adapter is missing: results.json names \`${result.adapter.uri}\` but there is no \`${resultsObject.key.slice(0, -RESULTS_FILE.length)}${ADAPTER_FILE}\` in the bucket`,
        );
      }
      if (adapterObject && !result.adapter) {
        throw new RunExportError(
          `\`${adapterObject.key}\` cannot be verified: results.json records no adapter sha256 for it`,
        );
      }
      if (adapterObject && result.adapter) {
        files.push(await copy(ADAPTER_FILE, adapterObject, result.adapter));
      }
      for (const [name, object] of run.files) {
        if (name === RESULTS_FILE || name === ADAPTER_FILE) continue;
        files.push(await copy(name, object));
      }
      return {
        learner: run.learner,
        run: run.run,
        status: "exported",
        runStatus: result.status,
        metrics: result.metrics,
        peakVramMiB: result.peakVramMiB,
        files,
      };
    } catch (error) {
      if (!(error instanceof RunExportError)) throw error;
      skipRemaining(done);
      return {
        learner: run.learner,
        run: run.run,
        status: "failed",
        error: `${where}: ${error.message}`,
        runStatus: result?.status,
        metrics: result?.metrics,
        peakVramMiB: result?.peakVramMiB,
        files,
      };
    }
  };

  const manifestRuns = await mapWithConcurrency(runs, options.concurrency ?? 4, exportRun);
  const manifest = buildExportManifest({
    cohort,
    bucket,
    runs: manifestRuns,
    unsafeKeys: unsafe,
    exportedAt: (options.now ?? (() => new Date()))(),
  });
  const manifestPath = join(dir, MANIFEST_FILE);
  await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, manifestPath, ...counters };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function sizeOnDisk(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
