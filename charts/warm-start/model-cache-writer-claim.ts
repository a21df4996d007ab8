/**
 * The warm-up Job's read-write claim on the shared model cache. The model cache StorageClass
 * (infra/platform/storage.ts: EFS access points on one fixed directory) maps this claim and every
 * learner's read-only claim to the same files.
 */
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { MODEL_CACHE_ACCESS_MODE, MODEL_CACHE_CLAIM_SIZE } from "../lab/model-cache-claim";
import { commonLabels, SYSTEM_NAMESPACE } from "../names";

/** Name of the warm-up Job's read-write claim in `labkit-system`. */
export const MODEL_CACHE_WRITER_CLAIM = "model-cache";

/** The warm-up Job's read-write claim on the model cache, in `labkit-system`. */
export function modelCacheWriterClaim(options: {
  readonly cohortName: string;
  readonly storageClassName: string;
}): IPersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: MODEL_CACHE_WRITER_CLAIM,
      namespace: SYSTEM_NAMESPACE,
      labels: commonLabels(options.cohortName, "model-cache"),
    },
    spec: {
      accessModes: [MODEL_CACHE_ACCESS_MODE],
      storageClassName: options.storageClassName,
      resources: { requests: { storage: MODEL_CACHE_CLAIM_SIZE } },
    },
  };
}
