/**
 * What `labkit export` found and copied: the grouping of bucket keys into learners' runs, and
 * `manifest.json`, the record a platform team keeps after the cluster is gone. Pure functions.
 */
import { cohortArtifactPrefix, learnerOfArtifactSegment, learnersArtifactPrefix } from "../charts/names";
import type { MetricValues, RunResult } from "../schema/run-result";

/** One object in the artifact bucket. */
export interface ArtifactObject {
  /** Full key, e.g. `cohorts/ft-dec26/learners/lab-ada/runs/r1/adapter.tar.gz`. */
  readonly key: string;
  readonly sizeBytes: number;
  /** The store's entity tag, used to notice an object that changed since a previous export. */
  readonly etag?: string;
}

/** The objects of one learner's run, by file name relative to the run's prefix. */
export interface RunArtifacts {
  /** The learner's id (`ada`), not the key segment (`lab-ada`). */
  readonly learner: string;
  readonly run: string;
  /** `adapter.tar.gz`, `results.json` and anything else the runner wrote below the run's prefix. */
  readonly files: ReadonlyMap<string, ArtifactObject>;
}

/** A key that cannot be copied safely (a path segment such as `..`), with the reason. */
export interface UnsafeKey {
  readonly key: string;
  readonly reason: string;
}

/** Name of the adapter archive in a run's prefix (its sha256 is in results.json). */
export const ADAPTER_FILE = "adapter.tar.gz";
/** Name of the RunResult file in a run's prefix. */
export const RESULTS_FILE = "results.json";

const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Groups the bucket's keys into runs: `cohorts/<cohort>/learners/lab-<learner>/runs/<run>/<file>`
 * (the segment is the learner's namespace; see `learnerArtifactPrefix`). Other keys under the
 * cohort (uploaded datasets) are not run artifacts and are left out; run keys whose learner
 * segment is no learner's namespace, or whose segments would escape the export folder, are
 * returned as unsafe, never copied.
 */
export function groupRunArtifacts(
  cohortName: string,
  objects: Iterable<ArtifactObject>,
): { runs: RunArtifacts[]; unsafe: UnsafeKey[] } {
  const learnersPrefix = learnersArtifactPrefix(cohortName);
  const byRun = new Map<string, { learner: string; run: string; files: Map<string, ArtifactObject> }>();
  const unsafe: UnsafeKey[] = [];
  for (const object of objects) {
    if (!object.key.startsWith(learnersPrefix)) continue;
    const parts = object.key.slice(learnersPrefix.length).split("/");
    if (parts.length < 4 || parts[1] !== "runs") continue;
    if (object.key.endsWith("/")) continue; // a "folder" marker some tools create
    const [area, , run, ...fileParts] = parts;
    const learner = learnerOfArtifactSegment(area);
    if (learner === undefined) {
      unsafe.push({
        key: object.key,
        reason: `\`${area}\` is not a learner's area, which is named after the learner's namespace (\`lab-<learner>\`); a key from labkit's older layout (\`learners/<learner>/runs/…\`) can be moved to \`learners/lab-<learner>/runs/…\` and exported again`,
      });
      continue;
    }
    const bad = [learner, run, ...fileParts].find((segment) => !SAFE_SEGMENT.test(segment));
    if (bad !== undefined) {
      unsafe.push({ key: object.key, reason: `path segment \`${bad}\` is not a safe file name` });
      continue;
    }
    const id = `${learner}/${run}`;
    let entry = byRun.get(id);
    if (!entry) {
      entry = { learner, run, files: new Map() };
      byRun.set(id, entry);
    }
    entry.files.set(fileParts.join("/"), object);
  }
  const runs = [...byRun.values()].sort((a, b) =>
    a.learner === b.learner ? a.run.localeCompare(b.run) : a.learner.localeCompare(b.learner),
  );
  return { runs, unsafe };
}

/** How a copied file's content was checked. */
export type Verification =
  /** sha256 equals the one the runner recorded in results.json (the adapter). */
  | "sha256-from-results"
  /** Size equals the bucket's, and the store's own checksum passed where it has one; sha256 recorded here. */
  | "size-and-store-checksum";

/** One copied file in the manifest. */
export interface ManifestFile {
  /** File name within the run, e.g. `adapter.tar.gz`. */
  readonly name: string;
  /** Bucket key it was copied from. */
  readonly key: string;
  /** Path relative to the export folder, e.g. `ada/r1/adapter.tar.gz`. */
  readonly path: string;
  readonly sizeBytes: number;
  /** sha256 of the copied bytes, hex. */
  readonly sha256: string;
  readonly verifiedBy: Verification;
}

/** One run in the manifest: exported (every file copied and verified) or failed (why). */
export interface ManifestRun {
  readonly learner: string;
  readonly run: string;
  /** `exported` only when every file of the run was copied and verified; otherwise `failed`. */
  readonly status: "exported" | "failed";
  /** What went wrong, naming the key and what would fix it; only on failed runs. */
  readonly error?: string;
  /** The run's own outcome from results.json, when it could be read. */
  readonly runStatus?: RunResult["status"];
  /** Metrics before and after fine-tuning, from results.json. */
  readonly metrics?: { readonly before: MetricValues; readonly after: MetricValues };
  /** Peak VRAM the run used, MiB, from results.json. */
  readonly peakVramMiB?: number;
  /** Files copied and verified; on a failed run, only those that were verified. */
  readonly files: readonly ManifestFile[];
}

/** `manifest.json`: everything one export copied, written last so its presence means the export finished. */
export interface ExportManifest {
  readonly format: "labkit-export/1";
  readonly cohort: string;
  readonly bucket: string;
  /** The bucket prefix that was copied, e.g. `cohorts/ft-dec26/`. */
  readonly prefix: string;
  /** ISO 8601 time the export finished. */
  readonly exportedAt: string;
  /** True when every run was exported and no key was unsafe. */
  readonly complete: boolean;
  readonly counts: {
    readonly runs: number;
    readonly exported: number;
    readonly failed: number;
    readonly files: number;
  };
  readonly runs: readonly ManifestRun[];
  /** Keys that were not copied because their names are not safe file names. */
  readonly unsafeKeys: readonly UnsafeKey[];
}

/** The manifest for a finished export, runs in learner then run order. */
export function buildExportManifest(input: {
  cohort: string;
  bucket: string;
  runs: readonly ManifestRun[];
  unsafeKeys: readonly UnsafeKey[];
  exportedAt: Date;
}): ExportManifest {
  const runs = [...input.runs].sort((a, b) =>
    a.learner === b.learner ? a.run.localeCompare(b.run) : a.learner.localeCompare(b.learner),
  );
  const exported = runs.filter((r) => r.status === "exported").length;
  return {
    format: "labkit-export/1",
    cohort: input.cohort,
    bucket: input.bucket,
    prefix: cohortArtifactPrefix(input.cohort),
    exportedAt: input.exportedAt.toISOString(),
    complete: exported === runs.length && input.unsafeKeys.length === 0,
    counts: {
      runs: runs.length,
      exported,
      failed: runs.length - exported,
      files: runs.reduce((sum, r) => sum + r.files.length, 0),
    },
    runs,
    unsafeKeys: input.unsafeKeys,
  };
}
