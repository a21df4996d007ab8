/**
 * The Kubernetes Job that runs one fine-tuning run: a pure function from a run's facts to a
 * `batch/v1` Job. The lab-controller creates it at run time; tests render and validate it.
 *
 * The Job runs in the learner's namespace (its ResourceQuota, NetworkPolicy and Pod Security
 * apply), as the runner ServiceAccount (S3 access through EKS Pod Identity), on a GPU node
 * (toleration + node selector), pinned to the node the controller placed it on. It gets the
 * runner contract's environment (docs/controller.md), the model cache read-only at `/models`,
 * and no learner volume: an uploaded dataset is fetched from S3 by URI.
 *
 * The run's bearer token is not in the Job: it lives in a Secret of its own
 * (`buildRunTokenSecret`), which the container reads as `LABKIT_RUN_TOKEN` through
 * `valueFrom.secretKeyRef`, so whoever may read Jobs does not learn it. The Secret names the Job
 * as its owner, so Kubernetes deletes it with the Job.
 */
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { SharingMode } from "../schema/cohort";
import { TERMINATION_MESSAGE_MAX_BYTES } from "../schema/run-result";
import type { RunSpec } from "../schema/run-spec";
import {
  commonLabels,
  GPU_NODE_LABEL,
  GPU_NODE_TAINT,
  LABELS,
  learnerNamespace,
  RUNNER_SERVICE_ACCOUNT,
  runJobName,
} from "./names";

/** Annotation holding the resolved RunSpec, so a controller that lost its store can still read a Job. */
export const RUN_SPEC_ANNOTATION = "labkit.dev/run-spec";
/** Annotation holding the VRAM the run was granted, MiB. */
export const GRANTED_VRAM_ANNOTATION = "labkit.dev/granted-vram-mib";
/** Annotation holding the attempt number (1 for the first Job of a run). */
export const ATTEMPT_ANNOTATION = "labkit.dev/attempt";
/**
 * HAMi's opt-out label. HAMi's mutating webhook (`vgpu.hami.io`) sends every pod that asks for
 * `nvidia.com/gpu` to `hami-scheduler`, which knows only HAMi's GPUs; a run on an `exclusive` or
 * `mig` pool (NVIDIA's device plugin) would stay Pending there. The webhook's objectSelector skips
 * pods labelled `hami.io/webhook: ignore` (Project-HAMi/HAMi charts/hami/templates/scheduler/webhook.yaml,
 * v2.10.0). Pinned by tests/contracts/hami.test.ts.
 */
export const HAMI_WEBHOOK_OPT_OUT = { key: "hami.io/webhook", value: "ignore" } as const;

/** Name of the runner container (the controller reads its termination message). */
export const RUNNER_CONTAINER = "runner";
/** Where the model cache is mounted, read-only; `HF_HOME` points here. */
export const MODEL_CACHE_MOUNT = "/models";

/** Everything the runner Job depends on. */
export interface RunnerJobOptions {
  readonly cohortName: string;
  readonly runId: string;
  readonly learnerId: string;
  /** The resolved RunSpec, passed to the runner as `LABKIT_RUN_SPEC`. */
  readonly spec: RunSpec;
  /** Runner image, `imageRef(cohort, "runner")`. */
  readonly image: string;
  /** How the GPU is shared: `hami` requests `nvidia.com/gpumem`, `exclusive` a whole GPU, `mig` a slice. */
  readonly sharing: SharingMode;
  /** MIG profile for `sharing: mig`, e.g. `3g.40gb`. */
  readonly migProfile?: string;
  /** VRAM granted to the run, MiB (the HAMi `nvidia.com/gpumem` limit; informational otherwise). */
  readonly grantedVramMiB: number;
  /** Node the controller placed the run on; the pod is pinned there. Default: any GPU node. */
  readonly nodeName?: string;
  /** Where the runner posts events: `<controller URL>/v1/runs/<id>/events`. */
  readonly eventsUrl: string;
  /** `s3://<bucket>/<runArtifactPrefix()>`, where the adapter and results.json go. */
  readonly artifactsUri: string;
  /** Kill the Job after this long, seconds: the learner's remaining GPU-minutes. */
  readonly activeDeadlineSeconds: number;
  /** Delete the finished Job after this long, seconds. Default 3600. */
  readonly ttlSecondsAfterFinished?: number;
  /** Attempt number, 1 for the first Job of a run. Default 1. */
  readonly attempt?: number;
  /** PersistentVolumeClaim of the shared model cache in the learner's namespace. Default `model-cache`. */
  readonly modelCacheClaimName?: string;
  /**
   * CPU and memory of the runner container. Default: 1 CPU requested, 4 CPU limit, and
   * `RUNNER_DEFAULT_HOST_MEMORY_MIB` of memory (request = limit); the controller passes
   * `runnerResources(runnerHostMemoryMiB(...))`, the run's share of its node.
   */
  readonly resources?: { cpuRequest: string; cpuLimit: string; memoryRequest: string; memoryLimit: string };
}

/** Host memory of a runner when nothing is known about its node, MiB (a g6e.xlarge's share for one of three runs). */
export const RUNNER_DEFAULT_HOST_MEMORY_MIB = 9216;

/**
 * Memory a GPU node keeps for its DaemonSets (VPC CNI, kube-proxy, the CSI node plugins, Pod
 * Identity agent, the device plugin, the image pre-pull), MiB, before it is shared among runs.
 */
export const GPU_NODE_DAEMON_RESERVE_MIB = 1024;

/** What a run's host-memory share depends on. */
export interface HostMemoryShareInput {
  /** The node's allocatable memory (`status.allocatable.memory`), MiB. */
  readonly nodeAllocatableMiB: number;
  /** GPUs on the node. */
  readonly gpusOnNode: number;
  readonly sharing: SharingMode;
  /** VRAM granted to the run, MiB (HAMi: its slice). */
  readonly grantedVramMiB: number;
  /** Memory of one GPU, MiB. */
  readonly gpuTotalMiB: number;
  /** For `mig`: slices per GPU. Default 1. */
  readonly migSlots?: number;
}

/**
 * The host memory a run gets, MiB: the same fraction of the node's memory (less the DaemonSets'
 * reserve) as the fraction of the node's GPU memory it holds. Runs on one node can never ask
 * together for more than the node has, so the kernel never OOM-kills a run the scheduler admitted
 * because its neighbours grew; with request = limit the kubelet never evicts one for another's use.
 */
export function runnerHostMemoryMiB(input: HostMemoryShareInput): number {
  const budget = Math.max(0, input.nodeAllocatableMiB - GPU_NODE_DAEMON_RESERVE_MIB);
  const gpus = Math.max(1, input.gpusOnNode);
  const perGpu =
    input.sharing === "exclusive"
      ? 1
      : input.sharing === "mig"
        ? 1 / Math.max(1, input.migSlots ?? 1)
        : Math.min(1, input.grantedVramMiB / Math.max(1, input.gpuTotalMiB));
  return Math.floor((budget * perGpu) / gpus);
}

/** Container resources for a run with `hostMemoryMiB` of memory: request = limit, so the share is guaranteed. */
export function runnerResources(hostMemoryMiB: number) {
  const memory = `${Math.max(256, Math.floor(hostMemoryMiB))}Mi`;
  return { cpuRequest: "1", cpuLimit: "4", memoryRequest: memory, memoryLimit: memory };
}

/** The default container resources of a runner, for Jobs built without node facts. */
export const RUNNER_RESOURCES = runnerResources(RUNNER_DEFAULT_HOST_MEMORY_MIB);

/** The GPU resources a runner container asks for under each sharing mode (HAMi: `nvidia.com/gpu` + `nvidia.com/gpumem` in MiB). */
export function runnerGpuResources(
  sharing: SharingMode,
  grantedVramMiB: number,
  migProfile?: string,
): Record<string, string> {
  if (sharing === "hami") return { "nvidia.com/gpu": "1", "nvidia.com/gpumem": String(Math.ceil(grantedVramMiB)) };
  if (sharing === "mig") {
    if (!migProfile) throw new Error("sharing `mig` needs a MIG profile such as `3g.40gb`");
    return { [`nvidia.com/mig-${migProfile}`]: "1" };
  }
  return { "nvidia.com/gpu": "1" };
}

/** Labels of a run's Job and pod; the controller finds and re-adopts Jobs by them. */
export function runnerLabels(cohortName: string, learnerId: string, runId: string, exercise: string) {
  return {
    ...commonLabels(cohortName, "runner"),
    [LABELS.name]: "labkit-runner",
    [LABELS.learner]: learnerId,
    [LABELS.runId]: runId,
    [LABELS.exercise]: exercise,
  };
}

/** Key of the run token in its Secret. */
export const RUN_TOKEN_SECRET_KEY = "token";

/** Name of the Secret holding a run's token: `run-<id>-token`, next to the Job `run-<id>`. */
export function runTokenSecretName(runId: string): string {
  return `${runJobName(runId)}-token`;
}

/** The Job's deadline as Kubernetes gets it, seconds: whole seconds, at least 60. */
export function runnerActiveDeadlineSeconds(requestedSeconds: number): number {
  return Math.max(60, Math.floor(requestedSeconds));
}

/** What the run-token Secret depends on. */
export interface RunTokenSecretOptions {
  readonly cohortName: string;
  readonly runId: string;
  readonly learnerId: string;
  /** The run's exercise (a label, as on the Job). */
  readonly exercise: string;
  /** The run's bearer token for posting events (the controller keeps only its sha256). */
  readonly runToken: string;
  /**
   * The run's Job, once the API server has created it (its `metadata.uid`). The Secret names it
   * as its owner, so the garbage collector deletes the Secret with the Job. An owner must be in
   * the dependent's namespace, which the Job is (tests/contracts/runner-token-secret.test.ts).
   */
  readonly ownerJob: { readonly name: string; readonly uid: string };
}

/**
 * The Secret that hands a run its token: in the learner's namespace, labelled like the Job,
 * owned by the Job (no `blockOwnerDeletion`: setting it needs `update` on the Job's finalizers,
 * which the controller does not hold), immutable (the token of a Job never changes; a new
 * token is a new Secret).
 */
export function buildRunTokenSecret(options: RunTokenSecretOptions): ISecret & {
  metadata: { name: string; namespace: string; labels: Record<string, string> };
} {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: runTokenSecretName(options.runId),
      namespace: learnerNamespace(options.learnerId),
      labels: runnerLabels(options.cohortName, options.learnerId, options.runId, options.exercise),
      ownerReferences: [
        {
          apiVersion: "batch/v1",
          kind: "Job",
          name: options.ownerJob.name,
          uid: options.ownerJob.uid,
          controller: true,
        },
      ],
    },
    type: "Opaque",
    immutable: true,
    stringData: { [RUN_TOKEN_SECRET_KEY]: options.runToken },
  };
}

/** The Secret `buildRunTokenSecret` returns. */
export type RunTokenSecret = ReturnType<typeof buildRunTokenSecret>;

/** One environment variable of the runner container: a plain value or a key of a Secret. */
type RunnerEnvVar =
  | { name: string; value: string }
  | { name: string; valueFrom: { secretKeyRef: { name: string; key: string; optional: boolean } } };

/** Build the runner Job of a run. */
export function buildRunnerJob(options: RunnerJobOptions) {
  const labels = runnerLabels(options.cohortName, options.learnerId, options.runId, options.spec.exercise);
  const gpu = runnerGpuResources(options.sharing, options.grantedVramMiB, options.migProfile);
  const resources = options.resources ?? RUNNER_RESOURCES;
  const env: RunnerEnvVar[] = [
    { name: "LABKIT_RUN_ID", value: options.runId },
    { name: "LABKIT_RUN_SPEC", value: JSON.stringify(options.spec) },
    { name: "LABKIT_EVENTS_URL", value: options.eventsUrl },
    // The token can only post events for this run while it runs; it comes from the run's own
    // Secret, not the Job spec. Not optional: the container waits until the Secret exists.
    {
      name: "LABKIT_RUN_TOKEN",
      valueFrom: {
        secretKeyRef: { name: runTokenSecretName(options.runId), key: RUN_TOKEN_SECRET_KEY, optional: false },
      },
    },
    { name: "LABKIT_ARTIFACTS_URI", value: options.artifactsUri },
    { name: "LABKIT_GRANTED_VRAM_MIB", value: String(Math.ceil(options.grantedVramMiB)) },
    { name: "HF_HOME", value: MODEL_CACHE_MOUNT },
    { name: "HF_HUB_OFFLINE", value: "1" },
    { name: "TRANSFORMERS_OFFLINE", value: "1" },
    // The runner writes at most this many bytes of summary; Kubernetes keeps no more.
    { name: "LABKIT_TERMINATION_MESSAGE_MAX_BYTES", value: String(TERMINATION_MESSAGE_MAX_BYTES) },
  ];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: runJobName(options.runId),
      namespace: learnerNamespace(options.learnerId),
      labels,
      annotations: {
        [RUN_SPEC_ANNOTATION]: JSON.stringify(options.spec),
        [GRANTED_VRAM_ANNOTATION]: String(Math.ceil(options.grantedVramMiB)),
        [ATTEMPT_ANNOTATION]: String(options.attempt ?? 1),
      },
    },
    spec: {
      // A failed pod fails the Job; the controller decides about requeueing (a lost node: once).
      backoffLimit: 0,
      activeDeadlineSeconds: runnerActiveDeadlineSeconds(options.activeDeadlineSeconds),
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished ?? 3600,
      template: {
        metadata: {
          labels:
            options.sharing === "hami" ? labels : { ...labels, [HAMI_WEBHOOK_OPT_OUT.key]: HAMI_WEBHOOK_OPT_OUT.value },
        },
        spec: {
          restartPolicy: "Never",
          serviceAccountName: RUNNER_SERVICE_ACCOUNT,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          nodeSelector: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value },
          ...(options.nodeName
            ? {
                affinity: {
                  nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                      nodeSelectorTerms: [
                        {
                          matchExpressions: [
                            { key: "kubernetes.io/hostname", operator: "In", values: [options.nodeName] },
                          ],
                        },
                      ],
                    },
                  },
                },
              }
            : {}),
          tolerations: [
            { key: GPU_NODE_TAINT.key, operator: "Equal", value: GPU_NODE_TAINT.value, effect: GPU_NODE_TAINT.effect },
          ],
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 100,
            fsGroup: 100,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: RUNNER_CONTAINER,
              image: options.image,
              imagePullPolicy: "IfNotPresent",
              env,
              resources: {
                requests: { cpu: resources.cpuRequest, memory: resources.memoryRequest, ...gpu },
                limits: { cpu: resources.cpuLimit, memory: resources.memoryLimit, ...gpu },
              },
              terminationMessagePath: "/dev/termination-log",
              // A runner that dies before writing its summary still leaves the tail of its log.
              terminationMessagePolicy: "FallbackToLogsOnError",
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
                runAsNonRoot: true,
              },
              volumeMounts: [
                { name: "model-cache", mountPath: MODEL_CACHE_MOUNT, readOnly: true },
                { name: "work", mountPath: "/work" },
                { name: "tmp", mountPath: "/tmp" },
                { name: "dshm", mountPath: "/dev/shm" },
              ],
            },
          ],
          volumes: [
            {
              name: "model-cache",
              persistentVolumeClaim: { claimName: options.modelCacheClaimName ?? "model-cache", readOnly: true },
            },
            { name: "work", emptyDir: { sizeLimit: "40Gi" } },
            { name: "tmp", emptyDir: { sizeLimit: "10Gi" } },
            // PyTorch data loaders share tensors through /dev/shm; the container default is 64 MiB.
            { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "2Gi" } },
          ],
        },
      },
    },
  };
}

/** The Job `buildRunnerJob` returns. */
export type RunnerJob = ReturnType<typeof buildRunnerJob>;
