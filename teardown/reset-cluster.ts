/**
 * `labkit reset`'s decisions and steps: which namespaces belong to the cohort's learners, which
 * runs are still active, and deleting those namespaces (their PVCs, Jobs and pods go with them)
 * while the cluster, `labkit-system` (controller, model cache) and the gateway stay. The plan is a
 * pure function; the steps go through a small `ResetKube` interface.
 */
import { GATEWAY_NAMESPACE, LABELS, learnerNamespace, SYSTEM_NAMESPACE } from "../charts/names";

/** What reset needs to know of a namespace. */
export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** What reset needs to know of a Job. */
export interface JobInfo {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `status.active`: pods running now. */
  readonly activePods: number;
  /** True once the Job has a `Complete` or `Failed` condition (or a completion time). */
  readonly finished: boolean;
}

/** A run still running (or waiting for a pod) in a learner's namespace. */
export interface ActiveRun {
  readonly namespace: string;
  readonly job: string;
  readonly runId: string;
  readonly learner?: string;
}

export interface ResetPlan {
  readonly cohort: string;
  /** Learner namespaces to delete, sorted. */
  readonly deleteNamespaces: readonly string[];
  /** Namespaces kept although they carry the cohort's label (system, gateway, Kubernetes' own). */
  readonly keptNamespaces: readonly string[];
  /** Runs still active: reset refuses unless forced. */
  readonly activeRuns: readonly ActiveRun[];
}

/** Namespaces reset never deletes, whatever their labels say. */
export const PROTECTED_NAMESPACES: ReadonlySet<string> = new Set([
  SYSTEM_NAMESPACE,
  GATEWAY_NAMESPACE,
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
]);

/** A Job is active until it has finished; a Job with no pod yet still counts (its run is queued on the cluster). */
export function isJobActive(job: JobInfo): boolean {
  return job.activePods > 0 || !job.finished;
}

/**
 * Which namespaces reset deletes: the learner namespaces (`lab-<id>`) labelled with the cohort,
 * and those of the roster's learners when the roster is known. Never a protected namespace.
 */
export function planReset(input: {
  cohort: string;
  namespaces: readonly NamespaceInfo[];
  jobs: readonly JobInfo[];
  /** Learner ids from the roster, when cohort.yaml was given. */
  learnerIds?: readonly string[];
}): ResetPlan {
  const existing = new Set(input.namespaces.map((n) => n.name));
  const rosterNamespaces = new Set((input.learnerIds ?? []).map(learnerNamespace));
  const remove = new Set<string>();
  const kept = new Set<string>();
  for (const namespace of input.namespaces) {
    const labelled = namespace.labels[LABELS.cohort] === input.cohort;
    if (!labelled && !rosterNamespaces.has(namespace.name)) continue;
    if (PROTECTED_NAMESPACES.has(namespace.name) || !namespace.name.startsWith(learnerNamespace(""))) {
      kept.add(namespace.name);
      continue;
    }
    remove.add(namespace.name);
  }
  for (const name of rosterNamespaces) if (existing.has(name) && !PROTECTED_NAMESPACES.has(name)) remove.add(name);
  const activeRuns = input.jobs
    .filter((job) => remove.has(job.namespace) && job.labels[LABELS.runId] !== undefined && isJobActive(job))
    .map((job) => ({
      namespace: job.namespace,
      job: job.name,
      runId: job.labels[LABELS.runId],
      ...(job.labels[LABELS.learner] ? { learner: job.labels[LABELS.learner] } : {}),
    }))
    .sort((a, b) =>
      a.namespace === b.namespace ? a.job.localeCompare(b.job) : a.namespace.localeCompare(b.namespace),
    );
  return {
    cohort: input.cohort,
    deleteNamespaces: [...remove].sort(),
    keptNamespaces: [...kept].sort(),
    activeRuns,
  };
}

/** The cohort a cluster holds, from its learner namespaces' labels; undefined when none or several. */
export function cohortOnCluster(namespaces: readonly NamespaceInfo[]): string | undefined {
  const cohorts = new Set(
    namespaces
      .filter((n) => n.name.startsWith(learnerNamespace("")) && n.labels[LABELS.cohort])
      .map((n) => n.labels[LABELS.cohort]),
  );
  return cohorts.size === 1 ? [...cohorts][0] : undefined;
}

/** The cluster operations reset performs. */
export interface ResetKube {
  listNamespaces(): Promise<NamespaceInfo[]>;
  listRunJobs(): Promise<JobInfo[]>;
  /** Deletes a namespace (everything in it goes with it); a namespace already gone is fine. */
  deleteNamespace(name: string): Promise<void>;
  /** True while the namespace still exists (it may be terminating). */
  namespaceExists(name: string): Promise<boolean>;
}

/** How deleting went: namespaces gone, and those still terminating when the wait ran out. */
export interface ResetOutcome {
  readonly deleted: readonly string[];
  readonly stillTerminating: readonly string[];
}

/**
 * Deletes the plan's namespaces and waits until they are gone or `timeoutMs` (default 10 min)
 * passes, polling every `pollMs` (default 2 s); `onDeleted` is told as each one disappears.
 */
export async function deleteLearnerNamespaces(
  kube: ResetKube,
  plan: ResetPlan,
  options: { timeoutMs?: number; pollMs?: number; onDeleted?: (namespace: string) => void } = {},
): Promise<ResetOutcome> {
  for (const name of plan.deleteNamespaces) await kube.deleteNamespace(name);
  const waiting = new Set(plan.deleteNamespaces);
  const deleted: string[] = [];
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  for (;;) {
    for (const name of [...waiting]) {
      if (!(await kube.namespaceExists(name))) {
        waiting.delete(name);
        deleted.push(name);
        options.onDeleted?.(name);
      }
    }
    if (waiting.size === 0 || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2000));
  }
  return { deleted, stillTerminating: [...waiting].sort() };
}
