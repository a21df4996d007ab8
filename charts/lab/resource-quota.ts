/**
 * The learner's ResourceQuota: room for the lab plus `concurrentRuns` runner Jobs, and the
 * learner's VRAM quota (HAMi reads `limits.nvidia.com/gpumem` from namespace quotas).
 */
import type { IResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import { learnerNamespace } from "../names";
import { type LabOptions, labLabels } from "./lab-options";

/** Quantities of the quota, in Kubernetes notation (cores, `Gi`). */
export function labQuotaHard(options: LabOptions): Record<string, string> {
  const runs = options.concurrentRuns;
  const cpu = options.cpu + runs * options.runnerAllowance.cpu;
  const memoryGiB = options.memoryGiB + runs * options.runnerAllowance.memoryGiB;
  const labGpus = options.gpu.kind === "none" ? 0 : 1;
  const hard: Record<string, string> = {
    "requests.cpu": String(cpu),
    "limits.cpu": String(cpu),
    "requests.memory": `${memoryGiB}Gi`,
    "limits.memory": `${memoryGiB}Gi`,
    // The lab, one runner pod per concurrent run, and room for a run being replaced.
    pods: String(1 + runs * 2),
    // The home volume and the model-cache claim; nothing else may claim storage.
    persistentvolumeclaims: "2",
    "requests.storage": `${options.storageGiB + 1}Gi`,
    "services.loadbalancers": "0",
    "services.nodeports": "0",
  };
  if (options.gpu.kind !== "mig") hard["requests.nvidia.com/gpu"] = String(runs + labGpus);
  if (options.hami) {
    const labMiB = options.gpu.kind === "hami" ? options.gpu.memoryMiB : 0;
    hard["limits.nvidia.com/gpumem"] = String(options.runVramMiB + labMiB);
  }
  return hard;
}

/** The ResourceQuota `lab-quota` of the learner's namespace. */
export function labResourceQuota(options: LabOptions): IResourceQuota {
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: "lab-quota", namespace: learnerNamespace(options.learnerId), labels: labLabels(options) },
    spec: { hard: labQuotaHard(options) },
  };
}
