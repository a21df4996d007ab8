/**
 * The learner namespace's read-only claim on the shared model cache. Its StorageClass maps every
 * claim to the same EFS directory (infra/platform/storage.ts), so the lab and the learner's runner
 * Jobs read the models the warm-up Job wrote once.
 */
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { learnerNamespace } from "../names";
import { type LabOptions, labLabels } from "./lab-options";

/** Name of the claim; runner Jobs mount it too (charts/runner-job.ts default `model-cache`). */
export const MODEL_CACHE_CLAIM = "model-cache";

/** Nominal size of a model-cache claim; EFS ignores it, but Kubernetes requires one. */
export const MODEL_CACHE_CLAIM_SIZE = "1Gi";

/** The `model-cache` claim (ReadOnlyMany) in the learner's namespace. */
export function labModelCacheClaim(options: LabOptions): IPersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: MODEL_CACHE_CLAIM, namespace: learnerNamespace(options.learnerId), labels: labLabels(options) },
    spec: {
      accessModes: ["ReadOnlyMany"],
      storageClassName: options.platform.modelCacheStorageClassName,
      resources: { requests: { storage: MODEL_CACHE_CLAIM_SIZE } },
    },
  };
}
