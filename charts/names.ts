/**
 * Names and labels every labkit object agrees on. infra/, the charts, the lab-controller and the
 * CLI all derive names here, so a Job the controller creates can be found by `labkit reset`,
 * and a namespace `pulumi up` makes is the one the controller runs jobs in.
 *
 * One cohort runs on a cluster at a time (`labkit reset` clears it for the next one).
 */

/** Namespace of the lab-controller, the model-cache warm-up and the image pre-pull. */
export const SYSTEM_NAMESPACE = "labkit-system";

/** Namespace of the gateway (load balancer, routes). */
export const GATEWAY_NAMESPACE = "labkit-gateway";

/** The lab-controller's Service name and port inside the cluster. */
export const CONTROLLER_SERVICE = { name: "lab-controller", port: 8080 } as const;

/** URL labs and runner Jobs use to reach the lab-controller API. */
export const CONTROLLER_URL = `http://${CONTROLLER_SERVICE.name}.${SYSTEM_NAMESPACE}.svc.cluster.local:${CONTROLLER_SERVICE.port}`;

/** A learner's namespace: `lab-<learner id>` (learner ids are DNS labels of at most 59 characters). */
export function learnerNamespace(learnerId: string): string {
  return `lab-${learnerId}`;
}

/** URL path prefix of a learner's JupyterLab on the gateway (JupyterLab's `base_url`). */
export function learnerPath(learnerId: string): string {
  return `/u/${learnerId}/`;
}

/**
 * Host of a learner's JupyterLab: `<learner>.<labsDomain>`, a host of its own, so the browser
 * keeps its pages away from the dashboard's origin and every other lab's (the isolation
 * JupyterHub's `subdomain_host` gives user servers). Learner ids are single DNS labels, so one
 * wildcard certificate `*.<labsDomain>` covers every lab.
 */
export function learnerHost(learnerId: string, labsDomain: string): string {
  return `${learnerId}.${labsDomain}`;
}

/** The URL a learner opens: `https://<learner>.<labsDomain>/u/<learner>/` (the path stays JupyterLab's base URL). */
export function learnerLabUrl(learnerId: string, labsDomain: string): string {
  return `https://${learnerHost(learnerId, labsDomain)}${learnerPath(learnerId)}`;
}

/** Path prefix of the dashboard and the public API on the gateway (on the cohort's `domain.name`). */
export const DASHBOARD_PATH = "/dashboard/";
export const API_PATH = "/api/";

/** ServiceAccount runner Jobs run as in a learner's namespace (bound to the artifact bucket through Pod Identity). */
export const RUNNER_SERVICE_ACCOUNT = "labkit-runner";

/** Name of the Kubernetes Job that runs a run: deterministic, so it is never created twice. */
export function runJobName(runId: string): string {
  return `run-${runId}`;
}

/** Label keys on every labkit object. */
export const LABELS = {
  managedBy: "app.kubernetes.io/managed-by",
  name: "app.kubernetes.io/name",
  component: "app.kubernetes.io/component",
  cohort: "labkit.dev/cohort",
  learner: "labkit.dev/learner",
  runId: "labkit.dev/run-id",
  exercise: "labkit.dev/exercise",
} as const;

/** The labels every labkit object carries. */
export function commonLabels(cohortName: string, component: string): Record<string, string> {
  return { [LABELS.managedBy]: "labkit", [LABELS.cohort]: cohortName, [LABELS.component]: component };
}

/** Where a run's artifacts live in the bucket: `cohorts/<cohort>/learners/lab-<learner>/runs/<run>/`. */
export function runArtifactPrefix(cohortName: string, learnerId: string, runId: string): string {
  return `${learnerArtifactPrefix(cohortName, learnerId)}runs/${runId}/`;
}

/** The cohort's prefix in the artifact bucket, `cohorts/<cohort>/`: the controller reads below it, `labkit export` copies from it. */
export function cohortArtifactPrefix(cohortName: string): string {
  return `cohorts/${cohortName}/`;
}

/** The prefix that holds every learner's area of a cohort: `cohorts/<cohort>/learners/`. */
export function learnersArtifactPrefix(cohortName: string): string {
  return `${cohortArtifactPrefix(cohortName)}learners/`;
}

/**
 * A learner's area of the bucket, `cohorts/<cohort>/learners/lab-<learner>/`. The segment is the
 * learner's namespace because EKS Pod Identity tags a runner's session with that namespace, and
 * the runner policy (infra/platform/identity.ts) allows a runner only the area its tag names.
 */
export function learnerArtifactPrefix(cohortName: string, learnerId: string): string {
  return `${learnersArtifactPrefix(cohortName)}${learnerNamespace(learnerId)}/`;
}

/** The learner whose area a key segment below `learners/` names (`lab-ada` → `ada`); undefined for any other segment. */
export function learnerOfArtifactSegment(segment: string): string | undefined {
  const namespacePrefix = learnerNamespace("");
  if (!segment.startsWith(namespacePrefix) || segment.length === namespacePrefix.length) return undefined;
  return segment.slice(namespacePrefix.length);
}

/** Where an uploaded dataset lives: content-addressed, so the same file is stored once. */
export function datasetObjectKey(cohortName: string, learnerId: string, sha256: string): string {
  return `${learnerArtifactPrefix(cohortName, learnerId)}datasets/${sha256}.jsonl`;
}

/** Taint and label of every GPU node (DESIGN.md). */
export const GPU_NODE_TAINT = { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" } as const;
export const GPU_NODE_LABEL = { key: "gpu", value: "on" } as const;
