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

/**
 * Access mode of every model-cache claim. The EFS CSI driver accepts only SINGLE_NODE_WRITER and
 * MULTI_NODE_MULTI_WRITER (`volumeCapAccessModes`, aws-efs-csi-driver pkg/driver/node.go, v1.7.0
 * through v3.4.1) and refuses ReadOnlyMany, which would leave the claim Pending; read-only comes
 * from the mounts instead (`readOnly: true` on the volume and the mount, which the driver turns
 * into the `ro` mount option). Pinned by tests/contracts/csi-drivers.test.ts.
 */
export const MODEL_CACHE_ACCESS_MODE = "ReadWriteMany";

/** The `model-cache` claim (ReadWriteMany, mounted read-only) in the learner's namespace. */
export function labModelCacheClaim(options: LabOptions): IPersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: MODEL_CACHE_CLAIM, namespace: learnerNamespace(options.learnerId), labels: labLabels(options) },
    spec: {
      accessModes: [MODEL_CACHE_ACCESS_MODE],
      storageClassName: options.platform.modelCacheStorageClassName,
      resources: { requests: { storage: MODEL_CACHE_CLAIM_SIZE } },
    },
  };
}
