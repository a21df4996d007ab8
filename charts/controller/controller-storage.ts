/**
 * The controller's database volume (ReadWriteOnce, e.g. EBS gp3) and its configuration: the
 * cohort.yaml ConfigMap and the Secret of token hashes (learners' and instructors' tokens as
 * sha256, never in plain text).
 */
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { ISecret } from "kubernetes-models/v1/Secret";
import {
  CONTROLLER_CONFIG,
  CONTROLLER_NAME,
  CONTROLLER_NAMESPACE,
  type ControllerOptions,
  controllerLabels,
} from "./controller-options";

/** The PersistentVolumeClaim holding the SQLite database. */
export function controllerClaim(options: ControllerOptions): IPersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: CONTROLLER_NAME, namespace: CONTROLLER_NAMESPACE, labels: controllerLabels(options) },
    spec: {
      accessModes: ["ReadWriteOnce"],
      storageClassName: options.storageClassName,
      resources: { requests: { storage: `${options.storageGiB}Gi` } },
    },
  };
}

/** The ConfigMap with cohort.yaml. */
export function controllerCohortConfigMap(options: ControllerOptions): IConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: CONTROLLER_CONFIG.configMap, namespace: CONTROLLER_NAMESPACE, labels: controllerLabels(options) },
    data: { "cohort.yaml": options.cohortYaml },
  };
}

/** The Secret with `tokens.json` (`{ learners: [{ id, name, tokenSha256 }], instructors: [...] }`). */
export function controllerTokensSecret(options: ControllerOptions, tokensJson: string): ISecret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: CONTROLLER_CONFIG.secret, namespace: CONTROLLER_NAMESPACE, labels: controllerLabels(options) },
    type: "Opaque",
    stringData: { "tokens.json": tokensJson },
  };
}
