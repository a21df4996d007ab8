/**
 * Everything the lab builders need to know about one learner's lab, as plain data. `labOptionsFor`
 * derives it from the cohort and the platform facts that only infra/ knows (gateway, storage
 * classes); every builder in this folder is a pure function of it.
 */
import { type Cohort, imageRef, labsDomainOf } from "../../schema/cohort";
import { commonLabels, GATEWAY_NAMESPACE, LABELS, learnerHost, RUNNER_SERVICE_ACCOUNT } from "../names";

/** Facts about the cluster the labs run on, provided by infra/platform (or by `labkit render` flags). */
export interface LabPlatform {
  /** The Gateway every lab route attaches to. Default `{ name: "labkit", namespace: "labkit-gateway", sectionName: "http" }`. */
  readonly gateway: { readonly name: string; readonly namespace: string; readonly sectionName?: string };
  /**
   * Namespace of the gateway's proxy pods, the only pods allowed to reach a lab (NetworkPolicy).
   * Default: the gateway's namespace (Envoy Gateway with `GatewayNamespace` deploy mode).
   */
  readonly gatewayProxyNamespace: string;
  /** StorageClass of each learner's home volume (ReadWriteOnce, e.g. EBS gp3). Default `gp3`. */
  readonly homeStorageClassName: string;
  /**
   * StorageClass of the shared model cache: every claim of it must reach the same directory
   * (EFS access points with a fixed `subPathPattern` and `ensureUniqueDirectory: "false"`, see
   * `modelCacheStorageClass`). Default `labkit-model-cache`.
   */
  readonly modelCacheStorageClassName: string;
  /** ServiceAccount name runner Jobs use in each learner namespace. Default `labkit-runner`. */
  readonly runnerServiceAccountName: string;
}

/** The defaults of `LabPlatform`, used by `labkit render` when no flag overrides them. */
export const DEFAULT_LAB_PLATFORM: LabPlatform = {
  gateway: { name: "labkit", namespace: GATEWAY_NAMESPACE, sectionName: "http" },
  gatewayProxyNamespace: GATEWAY_NAMESPACE,
  homeStorageClassName: "gp3",
  modelCacheStorageClassName: "labkit-model-cache",
  runnerServiceAccountName: RUNNER_SERVICE_ACCOUNT,
};

/** How a lab gets GPU memory for notebook inference; `none` when `labs.gpuGiB` is 0. */
export type LabGpu =
  | { readonly kind: "none" }
  | { readonly kind: "hami"; readonly memoryMiB: number }
  | { readonly kind: "exclusive" }
  | { readonly kind: "mig"; readonly resourceName: string };

/** One learner's lab, fully resolved. */
export interface LabOptions {
  /** Cohort name, for labels. */
  readonly cohortName: string;
  /** Learner id, a DNS label of at most 59 characters. */
  readonly learnerId: string;
  /** Lab container image, `imageRef(cohort, "lab")`. */
  readonly image: string;
  /** CPU cores the lab requests and is limited to. Default 2. */
  readonly cpu: number;
  /** Memory of the lab, GiB (request = limit). Default 8. */
  readonly memoryGiB: number;
  /** Size of the learner's home volume, GiB. Default 20. */
  readonly storageGiB: number;
  /** Minutes after which idle kernels are stopped; 0 never. Default 60. */
  readonly idleTimeoutMinutes: number;
  /** GPU of the lab itself (inference in notebooks). Default none. */
  readonly gpu: LabGpu;
  /** Whether a GPU pool shares GPUs with HAMi, whose VRAM quota (`nvidia.com/gpumem`) then applies. */
  readonly hami: boolean;
  /** Most GPU memory the learner's runs may hold at once, MiB (quota). Default 16384. */
  readonly runVramMiB: number;
  /** Most runs at once (quota on GPUs). Default 1. */
  readonly concurrentRuns: number;
  /** CPU and memory allowed per concurrent run on top of the lab (quota headroom for runner Jobs). */
  readonly runnerAllowance: { readonly cpu: number; readonly memoryGiB: number };
  /** The lab's own host `<learner>.<labsDomain>` (its route answers only for it), when the cohort has a domain. */
  readonly hostname?: string;
  readonly platform: LabPlatform;
}

/**
 * CPU and memory quota headroom per concurrent run, for runner Jobs in the learner's namespace.
 * Sized for the largest labkit GPU nodes' CPU side (a 3B QLoRA run peaks near 20 GiB host memory
 * while loading and quantising weights).
 */
export const RUNNER_ALLOWANCE = { cpu: 8, memoryGiB: 48 } as const;

/** The GPU a lab gets: none unless `labs.gpuGiB` > 0, then a slice of the first GPU pool. */
export function labGpuFor(cohort: Pick<Cohort, "labs" | "gpuPools">): LabGpu {
  if (cohort.labs.gpuGiB <= 0) return { kind: "none" };
  const pool = cohort.gpuPools[0];
  if (pool.sharing === "hami") return { kind: "hami", memoryMiB: Math.round(cohort.labs.gpuGiB * 1024) };
  if (pool.sharing === "mig") return { kind: "mig", resourceName: `nvidia.com/mig-${pool.migProfile}` };
  return { kind: "exclusive" };
}

/** The lab options of one learner of a cohort. */
export function labOptionsFor(
  cohort: Cohort,
  learnerId: string,
  platform: LabPlatform = DEFAULT_LAB_PLATFORM,
): LabOptions {
  return {
    cohortName: cohort.name,
    learnerId,
    image: imageRef(cohort, "lab"),
    cpu: cohort.labs.cpu,
    memoryGiB: cohort.labs.memoryGiB,
    storageGiB: cohort.labs.storageGiB,
    idleTimeoutMinutes: cohort.labs.idleTimeoutMinutes,
    gpu: labGpuFor(cohort),
    hami: cohort.gpuPools.some((pool) => pool.sharing === "hami"),
    runVramMiB: Math.round(cohort.quotas.vramGiB * 1024),
    concurrentRuns: cohort.quotas.concurrentRuns,
    runnerAllowance: RUNNER_ALLOWANCE,
    hostname: cohort.domain ? learnerHost(learnerId, labsDomainOf(cohort.domain)) : undefined,
    platform,
  };
}

/** Labels of every object of a learner's lab: the common ones plus the learner. */
export function labLabels(
  options: Pick<LabOptions, "cohortName" | "learnerId">,
  component = "lab",
): Record<string, string> {
  return { ...commonLabels(options.cohortName, component), [LABELS.learner]: options.learnerId };
}

/** Labels that select a learner's JupyterLab pod (Service, StatefulSet, NetworkPolicy). */
export function labPodSelector(learnerId: string): Record<string, string> {
  return { [LABELS.name]: "jupyterlab", [LABELS.learner]: learnerId };
}

/** Name of the lab's StatefulSet, Service, route and Secret inside the learner's namespace. */
export const LAB_NAME = "lab";

/** Port JupyterLab listens on inside the pod and on its Service. */
export const LAB_PORT = 8888;
