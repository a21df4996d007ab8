/**
 * Everything the lab-controller's manifests need, as plain data. `controllerOptionsFor` derives
 * it from the cohort; infra/cohort/controller.ts and `labkit render` pass what only they know
 * (bucket, storage class).
 */

import { type Cohort, imageRef } from "../../schema/cohort";
import { CONTROLLER_SERVICE, CONTROLLER_URL, commonLabels, LABELS, SYSTEM_NAMESPACE } from "../names";

/** The lab-controller's deployment facts. */
export interface ControllerOptions {
  readonly cohortName: string;
  /** Learner ids: the controller may create and delete Jobs in each learner's namespace. */
  readonly learnerIds: readonly string[];
  /** Controller image, `imageRef(cohort, "controller")`. */
  readonly image: string;
  /** Runner image the controller puts in Jobs, `imageRef(cohort, "runner")`. */
  readonly runnerImage: string;
  /** The cohort.yaml text the controller loads (mounted from a ConfigMap); the roster must be inline. */
  readonly cohortYaml: string;
  /** Artifact bucket name; without one, dataset uploads and artifact links are refused. */
  readonly bucketName?: string;
  /** AWS region of the bucket. */
  readonly region: string;
  /** StorageClass of the controller's database volume. Default `gp3`. */
  readonly storageClassName: string;
  /** Size of the database volume, GiB. Default 5. */
  readonly storageGiB: number;
  /** URL runner Jobs post events to. Default `CONTROLLER_URL`. */
  readonly controllerUrl: string;
}

/** Name of the Deployment, ServiceAccount, Service, claim and RBAC objects. */
export const CONTROLLER_NAME = CONTROLLER_SERVICE.name;
/** Namespace of the controller. */
export const CONTROLLER_NAMESPACE = SYSTEM_NAMESPACE;
/** ConfigMap with cohort.yaml, and Secret with the token hashes. */
export const CONTROLLER_CONFIG = { configMap: "lab-controller-cohort", secret: "lab-controller-tokens" } as const;
/** Where the controller reads its files and keeps its database. */
export const CONTROLLER_PATHS = {
  cohortDir: "/etc/labkit/cohort",
  tokensDir: "/etc/labkit/tokens",
  dataDir: "/var/lib/labkit",
} as const;

/** The options of a cohort's controller. */
export function controllerOptionsFor(
  cohort: Cohort,
  cohortYaml: string,
  extra: { bucketName?: string; storageClassName?: string; storageGiB?: number } = {},
): ControllerOptions {
  return {
    cohortName: cohort.name,
    learnerIds: cohort.learners.map((l) => l.id),
    image: imageRef(cohort, "controller"),
    runnerImage: imageRef(cohort, "runner"),
    cohortYaml,
    bucketName: extra.bucketName,
    region: cohort.cloud.region,
    storageClassName: extra.storageClassName ?? "gp3",
    storageGiB: extra.storageGiB ?? 5,
    controllerUrl: CONTROLLER_URL,
  };
}

/** Labels of every controller object. */
export function controllerLabels(options: Pick<ControllerOptions, "cohortName">): Record<string, string> {
  return { ...commonLabels(options.cohortName, "controller"), [LABELS.name]: CONTROLLER_NAME };
}

/** Labels that select the controller's pod. */
export function controllerSelector(): Record<string, string> {
  return { [LABELS.name]: CONTROLLER_NAME, [LABELS.component]: "controller" };
}
