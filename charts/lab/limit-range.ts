/**
 * The learner's LimitRange: a container that names no resources gets small defaults (so the
 * quota can count it), and no container may be larger than the lab or a run's allowance.
 */
import type { ILimitRange } from "kubernetes-models/v1/LimitRange";
import { learnerNamespace } from "../names";
import { type LabOptions, labLabels } from "./lab-options";

/** Default CPU and memory of a container that names none. */
export const CONTAINER_DEFAULTS = { cpu: "500m", memory: "1Gi" } as const;

/** The LimitRange `lab-limits` of the learner's namespace. */
export function labLimitRange(options: LabOptions): ILimitRange {
  const maxCpu = Math.max(options.cpu, options.runnerAllowance.cpu);
  const maxMemoryGiB = Math.max(options.memoryGiB, options.runnerAllowance.memoryGiB);
  return {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: { name: "lab-limits", namespace: learnerNamespace(options.learnerId), labels: labLabels(options) },
    spec: {
      limits: [
        {
          type: "Container",
          default: { ...CONTAINER_DEFAULTS },
          defaultRequest: { ...CONTAINER_DEFAULTS },
          max: { cpu: String(maxCpu), memory: `${maxMemoryGiB}Gi` },
        },
        { type: "PersistentVolumeClaim", max: { storage: `${Math.max(options.storageGiB, 1)}Gi` } },
      ],
    },
  };
}
